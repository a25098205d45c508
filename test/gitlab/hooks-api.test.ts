import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitLabUnavailable } from '../../lib/gitlab/api-client.js';
import { GitLabApiError, GitLabHooksClient } from '../../lib/gitlab/hooks-api.js';
import { startFakeGitLab, type FakeGitLab, type FakeProject } from '../support/gitlab-server.js';

/**
 * The hooks client on the shared request core, against the local GitLab stand-in over HTTP:
 * every page of a list, GitLab's own words in a refusal, and retries only where a retry cannot
 * do a write twice (a GET; a 429, which GitLab answers before running the request).
 */
const TOKEN = 'glpat-hookstest0000000000';
let gitlab: FakeGitLab;
let app: FakeProject;
const waits: number[] = [];
const client = () => new GitLabHooksClient({ url: `${gitlab.url}/api/v4/`, token: TOKEN, sleep: async (ms) => void waits.push(ms) });
const HOOKS = /^\/api\/v4\/projects\/group%2Fapp\/hooks$/;
const HOOK = /^\/api\/v4\/projects\/group%2Fapp\/hooks\/\d+$/;

beforeAll(async () => {
  // Page size 2 makes the client follow GitLab's x-next-page header.
  gitlab = await startFakeGitLab({ maintainerTokens: [TOKEN], maxPerPage: 2 });
  app = gitlab.addProject('group/app', { hasCommits: true });
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.requests.length = 0;
  waits.length = 0;
  app.hooks.length = 0;
});

const pages = (method: string, path: RegExp) => gitlab.requestsTo(method, path).map((request) => new URL(request.url, 'http://x').searchParams.get('page'));

describe('lists', () => {
  it('follows x-next-page to the last page', async () => {
    for (const n of [1, 2, 3, 4, 5]) gitlab.addHook(app, { url: `https://hook${n}.example.com/` });
    const hooks = await client().listHooks('group/app');
    expect(hooks.map((hook) => hook.url)).toEqual([1, 2, 3, 4, 5].map((n) => `https://hook${n}.example.com/`));
    expect(pages('GET', HOOKS)).toEqual(['1', '2', '3']);
  });

  it('keeps its own query on every page', async () => {
    gitlab.addProject('group/api');
    gitlab.addProject('group/web');
    const projects = await client().listMaintainedProjects();
    expect(projects.map((project) => project.path_with_namespace)).toEqual(['group/app', 'group/api', 'group/web']);
    const queries = gitlab.requestsTo('GET', /^\/api\/v4\/projects$/).map((request) => Object.fromEntries(new URL(request.url, 'http://x').searchParams));
    expect(queries).toEqual(
      ['1', '2'].map((page) => ({ membership: 'true', min_access_level: '40', simple: 'true', archived: 'false', per_page: '100', page })),
    );
  });
});

describe('refusals', () => {
  it("keeps GitLab's words, status, method and path", async () => {
    const refused = client().createHook('group/app', { url: 'ftp://bridge.example.com/webhooks/gitlab' });
    await expect(refused).rejects.toBeInstanceOf(GitLabApiError);
    await expect(refused).rejects.toMatchObject({
      status: 422,
      method: 'POST',
      path: '/projects/group%2Fapp/hooks',
      detail: 'url is blocked: Only allowed schemes are http, https',
    });
  });

  it('a 404 is not retried', async () => {
    await expect(client().getProject('group/missing')).rejects.toMatchObject({ status: 404, detail: '404 Project Not Found' });
    expect(gitlab.requestsTo('GET', /^\/api\/v4\/projects\/group%2Fmissing$/)).toHaveLength(1);
  });
});

describe('retries', () => {
  it('retries a GET that GitLab answered 502, then reads it', async () => {
    gitlab.addHook(app, { url: 'https://bridge.example.com/webhooks/gitlab' });
    gitlab.script('GET', HOOKS, [{ status: 502 }]);
    await expect(client().listHooks('group/app')).resolves.toHaveLength(1);
    expect(pages('GET', HOOKS)).toEqual(['1', '1']);
  });

  it('retries a GET whose connection dropped', async () => {
    gitlab.script('GET', /^\/api\/v4\/projects\/group%2Fapp$/, ['reset']);
    await expect(client().getProject('group/app')).resolves.toMatchObject({ path_with_namespace: 'group/app' });
    expect(gitlab.requestsTo('GET', /^\/api\/v4\/projects\/group%2Fapp$/)).toHaveLength(2);
  });

  it("after its retries, a GET's 503 is GitLab's refusal with its words", async () => {
    gitlab.script('GET', HOOKS, [{ status: 503 }, { status: 503 }, { status: 503 }]);
    await expect(client().listHooks('group/app')).rejects.toMatchObject({ status: 503, detail: '503' });
    expect(gitlab.requestsTo('GET', HOOKS)).toHaveLength(3);
  });

  // GitLab may have made, changed or deleted the hook before the 502: a retried create makes two hooks.
  const writes: [string, string, RegExp, (api: GitLabHooksClient, hookId: number) => Promise<unknown>][] = [
    ['create', 'POST', HOOKS, (api) => api.createHook('group/app', { url: 'https://bridge.example.com/webhooks/gitlab' })],
    ['update', 'PUT', HOOK, (api, hookId) => api.updateHook('group/app', hookId, { push_events: true })],
    ['delete', 'DELETE', HOOK, (api, hookId) => api.deleteHook('group/app', hookId)],
    ['test trigger', 'POST', /\/test\/push_events$/, (api, hookId) => api.testHook('group/app', hookId, 'push_events')],
  ];

  it.each(writes)('does not retry a %s that GitLab answered 502', async (_name, method, path, write) => {
    const hook = gitlab.addHook(app, { url: 'https://bridge.example.com/webhooks/gitlab' });
    gitlab.script(method, path, [{ status: 502 }]);
    await expect(write(client(), hook.id)).rejects.toMatchObject({ status: 502, method });
    expect(gitlab.requestsTo(method, path)).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('does not retry a create whose connection dropped', async () => {
    gitlab.script('POST', HOOKS, ['reset']);
    const dropped = client().createHook('group/app', { url: 'https://bridge.example.com/webhooks/gitlab' });
    await expect(dropped).rejects.toBeInstanceOf(GitLabUnavailable);
    await expect(dropped).rejects.toMatchObject({ kind: 'unreachable' });
    expect(gitlab.requestsTo('POST', HOOKS)).toHaveLength(1);
  });

  it('retries a create that GitLab rate-limited (429), after its Retry-After', async () => {
    gitlab.script('POST', HOOKS, [{ status: 429, headers: { 'Retry-After': '1' } }]);
    await expect(client().createHook('group/app', { url: 'https://bridge.example.com/webhooks/gitlab' })).resolves.toMatchObject({ id: expect.any(Number) });
    expect(waits).toEqual([1000]);
    expect(gitlab.requestsTo('POST', HOOKS)).toHaveLength(2);
    expect(app.hooks).toHaveLength(1);
  });

  it('hands back a 429 whose wait is too long as the refusal, without waiting', async () => {
    gitlab.script('POST', HOOKS, [{ status: 429, headers: { 'Retry-After': '60' } }]);
    const refused = client().createHook('group/app', { url: 'https://bridge.example.com/webhooks/gitlab' });
    await expect(refused).rejects.toBeInstanceOf(GitLabApiError);
    await expect(refused).rejects.toMatchObject({ status: 429, detail: '429' });
    expect(waits).toEqual([]);
    expect(app.hooks).toEqual([]);
  });
});
