import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Sample webhook payloads, derived from GitLab's documented examples (test/fixtures/gitlab:
 * pipeline--success-v19, merge_request--open-v19, push--basic-v19) and moved onto one project,
 * `flightjs/flight-management`, so samples sent one after another tell one story. They ship
 * inside the package (cli/samples/*.json) so `send-sample` works from an installed copy.
 */
export const SAMPLES = {
  'pipeline-failed': { file: 'pipeline-failed.json', event: 'Pipeline Hook', about: 'pipeline #1021 on main failed in job unit-tests' },
  'pipeline-success': { file: 'pipeline-success.json', event: 'Pipeline Hook', about: 'the next pipeline on main passed (a recovery)' },
  'mr-opened': { file: 'mr-opened.json', event: 'Merge Request Hook', about: 'merge request !16 opened' },
  'mr-merged': { file: 'mr-merged.json', event: 'Merge Request Hook', about: 'merge request !16 merged' },
  push: { file: 'push.json', event: 'Push Hook', about: 'one commit pushed to main, no issue keys' },
  'push-closes': { file: 'push-closes.json', event: 'Push Hook', about: 'a commit to main whose message says "Closes ABC-1"' },
  'push-smart-commit': { file: 'push-smart-commit.json', event: 'Push Hook', about: 'a Jira smart commit: ABC-2 #comment ... #time 1h 30m #in-review' },
} as const;

export type SampleKind = keyof typeof SAMPLES;
export const SAMPLE_KINDS = Object.keys(SAMPLES) as SampleKind[];

/** The project every sample is about; `--project` replaces it. */
export const SAMPLE_PROJECT_PATH = 'flightjs/flight-management';

export function isSampleKind(value: string): value is SampleKind {
  return Object.hasOwn(SAMPLES, value);
}

/** The sample payload as stored. */
export function loadSample(kind: string): Record<string, unknown> {
  if (!isSampleKind(kind)) {
    throw new CliError(`unknown sample "${kind}"`, EXIT.usage, `use one of ${SAMPLE_KINDS.join(', ')}`);
  }
  const text = readFileSync(new URL(`./samples/${SAMPLES[kind].file}`, import.meta.url), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Replaces the sample project's path (and its URLs) with `projectPath` everywhere in the payload. */
export function withProject(payload: Record<string, unknown>, projectPath: string): Record<string, unknown> {
  const path = projectPath.trim().replace(/^\/+|\/+$/g, '');
  const replace = (value: Json): Json => {
    if (typeof value === 'string') return value.split(SAMPLE_PROJECT_PATH).join(path);
    if (Array.isArray(value)) return value.map(replace);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replace(item)]));
    return value;
  };
  const out = replace(payload as Json) as Record<string, unknown>;
  const segments = path.split('/');
  const name = segments.at(-1) ?? path;
  for (const project of [
    out.project,
    (out.object_attributes as Record<string, unknown> | undefined)?.source,
    (out.object_attributes as Record<string, unknown> | undefined)?.target,
  ]) {
    if (project && typeof project === 'object') {
      const record = project as Record<string, unknown>;
      record.name = name;
      record.namespace = segments.length > 1 ? segments.slice(0, -1).join('/') : name;
    }
  }
  return out;
}

export interface FreshIds {
  /** A new number for pipeline ids. */
  int(): number;
  /** A new 40-hex commit SHA. */
  sha(): string;
}

export const randomIds: FreshIds = {
  int: () => randomInt(100_000, 2_000_000_000),
  sha: () => randomBytes(20).toString('hex'),
};

/**
 * Gives a pipeline or push sample new ids, as a new pipeline or new commits would have: the
 * bridge performs each effect once per pipeline/commit, so resending the same sample would
 * (correctly) do nothing the second time. Merge request samples keep their ids, so mr-opened
 * and mr-merged are about the same merge request.
 */
export function freshenSample(kind: SampleKind, payload: Record<string, unknown>, ids: FreshIds = randomIds): Record<string, unknown> {
  const out = structuredClone(payload);
  if (kind.startsWith('pipeline')) {
    const attributes = out.object_attributes as Record<string, unknown>;
    const id = ids.int();
    const oldUrl = String(attributes.url ?? '');
    attributes.id = id;
    attributes.iid = ids.int() % 100_000;
    attributes.url = oldUrl.replace(/\/pipelines\/\d+$/, `/pipelines/${id}`);
    for (const build of (out.builds as Record<string, unknown>[] | undefined) ?? []) build.id = ids.int();
  } else if (kind.startsWith('push')) {
    const commits = (out.commits as Record<string, unknown>[] | undefined) ?? [];
    for (const commit of commits) {
      const sha = ids.sha();
      commit.url = String(commit.url ?? '').replace(String(commit.id), sha);
      commit.id = sha;
    }
    const last = commits.at(-1)?.id;
    if (typeof last === 'string') {
      out.after = last;
      out.checkout_sha = last;
    }
  }
  return out;
}
