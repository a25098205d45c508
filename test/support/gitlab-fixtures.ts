import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** GitLab's documented example payloads plus our own variants (see the README there). */
export const FIXTURES = join(here, '../fixtures/gitlab');

export interface FixtureEntry {
  file: string;
  x_gitlab_event: string;
  object_kind: string | null;
  notes?: string;
}

/** Every example in the index, each with its X-Gitlab-Event header. */
export function allFixtures(): (FixtureEntry & { path: string })[] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'INDEX.json'), 'utf8')) as FixtureEntry[]).map((entry) => ({
    ...entry,
    path: join(FIXTURES, entry.file),
  }));
}

export function readFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

let counter = 0;

/** Headers GitLab sends with a delivery (REST API "project webhook events" example). */
export function gitlabHeaders(event: string, token: string, overrides: Record<string, string> = {}): Record<string, string> {
  counter++;
  const uuid = `00000000-0000-4000-8000-${String(Date.now() % 1e8).padStart(8, '0')}${String(counter).padStart(4, '0')}`;
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/18.6.0',
    'idempotency-key': uuid,
    'x-gitlab-event': event,
    'x-gitlab-webhook-uuid': '2b6a7e4e-6f59-4b4c-9f65-4c1b9bb0d1a1',
    'x-gitlab-instance': 'https://gitlab.example.com',
    'x-gitlab-event-uuid': `evt-${uuid}`,
    'x-gitlab-token': token,
    ...overrides,
  };
}
