import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** GitLab's documented example payloads, shared by the team (see its README). */
export const SHARED_FIXTURES = join(here, '../../../shared/fixtures/gitlab');
/** Our own fixtures, written from GitLab's documented schemas. */
export const LOCAL_FIXTURES = join(here, '../fixtures/gitlab');

export interface FixtureEntry {
  file: string;
  x_gitlab_event: string;
  object_kind: string | null;
  notes?: string;
}

/** Every example: the shared index plus ours, each with its X-Gitlab-Event header. */
export function allFixtures(): (FixtureEntry & { path: string })[] {
  const shared = (JSON.parse(readFileSync(join(SHARED_FIXTURES, 'INDEX.json'), 'utf8')) as FixtureEntry[]).map((entry) => ({
    ...entry,
    path: join(SHARED_FIXTURES, entry.file),
  }));
  const local = (JSON.parse(readFileSync(join(LOCAL_FIXTURES, 'INDEX.json'), 'utf8')) as FixtureEntry[]).map((entry) => ({
    ...entry,
    path: join(LOCAL_FIXTURES, entry.file),
  }));
  return [...shared, ...local];
}

export function readFixture(name: string): Record<string, unknown> {
  const shared = join(SHARED_FIXTURES, name);
  const path = readdirSync(SHARED_FIXTURES).includes(name) ? shared : join(LOCAL_FIXTURES, name);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
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
