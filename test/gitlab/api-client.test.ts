import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitLabClient, gitlabRequest, GitLabUnavailable, retryWaitMs } from '../../lib/gitlab/api-client.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';

/**
 * The worker's GitLab client against the local GitLab stand-in over HTTP: the token header, the
 * bounded retries and waits, the timeout covering the body, the tail of a long job log.
 */
const TOKEN = 'glpat-clienttest0000000000';
let gitlab: FakeGitLab;
beforeAll(async () => {
  gitlab = await startFakeGitLab({ maintainerTokens: [TOKEN] });
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.requests.length = 0;
  gitlab.traceAnswer = undefined;
});

let nextJob = 1;
const job = () => (nextJob += 1);
const client = (options: Partial<ConstructorParameters<typeof GitLabClient>[0]> = {}) => new GitLabClient({ url: gitlab.url, token: TOKEN, ...options });
const traceRequests = (jobId: number) => gitlab.requestsTo('GET', new RegExp(`^/api/v4/projects/7/jobs/${jobId}/trace$`));

describe('GitLabClient.jobTrace', () => {
  it('reads the log with the PRIVATE-TOKEN header', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'line one\nline two\n');
    await expect(client().jobTrace(7, id, 1024)).resolves.toBe('line one\nline two\n');
    expect(traceRequests(id)[0]!.headers['private-token']).toBe(TOKEN);
  });

  it('says "GitLab answered 403" and does not retry a refusal', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x', [{ status: 403 }]);
    const refused = client().jobTrace(7, id, 1024);
    await expect(refused).rejects.toBeInstanceOf(GitLabUnavailable);
    await expect(refused).rejects.toThrow(/^GitLab answered 403$/);
    expect(traceRequests(id)).toHaveLength(1);
  });

  it('says "GitLab answered 401" for a token GitLab does not know', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x');
    await expect(client({ token: 'glpat-unknown' }).jobTrace(7, id, 1024)).rejects.toThrow('GitLab answered 401');
  });

  it('retries a 429 after its Retry-After, then reads the log', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'done\n', [{ status: 429, headers: { 'Retry-After': '1' } }]);
    const waits: number[] = [];
    const trace = await client({ sleep: async (ms) => void waits.push(ms) }).jobTrace(7, id, 1024);
    expect(trace).toBe('done\n');
    expect(waits).toEqual([1000]);
    expect(traceRequests(id)).toHaveLength(2);
  });

  it('waits for RateLimit-Reset when there is no Retry-After', async () => {
    const id = job();
    const now = Date.UTC(2026, 0, 1);
    gitlab.setTrace(7, id, 'done\n', [{ status: 429, headers: { 'RateLimit-Reset': String(now / 1000 + 3) } }]);
    const waits: number[] = [];
    await client({ now: () => now, sleep: async (ms) => void waits.push(ms) }).jobTrace(7, id, 1024);
    expect(waits).toEqual([3000]);
  });

  it('gives up at once when GitLab asks for a wait longer than 5 s, saying so', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'done\n', [{ status: 429, headers: { 'Retry-After': '60' } }]);
    await expect(client({ sleep: async () => undefined }).jobTrace(7, id, 1024)).rejects.toThrow('GitLab answered 429 (retry after 60 s)');
    expect(traceRequests(id)).toHaveLength(1);
  });

  it('retries 5xx at most twice', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'done\n', [{ status: 500 }, { status: 502 }, { status: 503 }]);
    await expect(client({ sleep: async () => undefined }).jobTrace(7, id, 1024)).rejects.toThrow('GitLab answered 503');
    expect(traceRequests(id)).toHaveLength(3);
  });

  it('bounds a stalled body by the timeout and does not retry it', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x', ['stall']);
    const started = Date.now();
    await expect(client({ timeoutMs: 300 }).jobTrace(7, id, 1024)).rejects.toThrow('GitLab did not answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(traceRequests(id)).toHaveLength(1);
  });

  it('names the network error when GitLab cannot be reached, after its retries', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const closed = new GitLabClient({ url: `http://127.0.0.1:${port}`, token: TOKEN, sleep: async () => undefined });
    await expect(closed.jobTrace(7, 1, 1024)).rejects.toThrow(/^GitLab could not be reached \(ECONNREFUSED\)$/);
  });

  it('never puts the token in its reason when fetch refuses it as a header value', async () => {
    const id = job();
    const secret = 'glpat-secret-line-one\nsecond-line';
    const failure = client({ token: secret, sleep: async () => undefined }).jobTrace(7, id, 1024);
    await expect(failure).rejects.toThrow(/^GitLab could not be reached \(network error\)$/);
    const error = (await failure.catch((e: unknown) => e)) as GitLabUnavailable;
    expect(error.reason).not.toContain('glpat-secret');
    expect(error.message).not.toContain('glpat-secret');
    expect(traceRequests(id)).toHaveLength(0);
  });

  it('keeps only the last maxBytes of a long log, from a whole UTF-8 character', async () => {
    const id = job();
    // "é" is 2 bytes: a tail of an odd size starts in the middle of one.
    const body = `START-MARKER\n${'é'.repeat(2000)}\nthe end\n`;
    gitlab.setTrace(7, id, body);
    const reader = client();
    // The last 1000 bytes: "\nthe end\n" (9) and 991 bytes of "é", the first of them a lone continuation byte.
    const trace = await reader.jobTrace(7, id, 1000);
    expect(trace).not.toContain('START-MARKER');
    expect(trace).not.toContain('\ufffd');
    expect(trace.endsWith('é\nthe end\n')).toBe(true);
    expect(Buffer.byteLength(trace)).toBe(999);
    expect(reader.lastTrace).toEqual({ bytesRead: Buffer.byteLength(body), bytesKept: 999 });
  });

  it('does not follow a redirect (it would carry the token)', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x', [{ status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }]);
    await expect(client().jobTrace(7, id, 1024)).rejects.toThrow('GitLab answered with a redirect (not followed)');
    expect(traceRequests(id)).toHaveLength(1);
  });
});

describe('GitLabClient.user', () => {
  it('reads a user, public_email included', async () => {
    gitlab.users.set(5, { id: 5, username: 'agarcia', name: 'Alex Garcia', public_email: 'alex@example.com' });
    await expect(client().user(5)).resolves.toEqual({ id: 5, username: 'agarcia', name: 'Alex Garcia', public_email: 'alex@example.com' });
    expect(gitlab.requestsTo('GET', /^\/api\/v4\/users\/5$/)[0]!.headers['private-token']).toBe(TOKEN);
  });

  it('says "GitLab answered 404" for an unknown user', async () => {
    await expect(client().user(404404)).rejects.toThrow('GitLab answered 404');
  });
});

describe('gitlabRequest', () => {
  const options = () => ({ url: gitlab.url, token: TOKEN, sleep: async () => undefined });
  const readText = async (response: Response) => ({ status: response.status, text: await response.text() });

  it("with readErrors, hands the refusal to read (GitLab's words kept)", async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x', [{ status: 403 }]);
    await expect(gitlabRequest(options(), { path: `projects/7/jobs/${id}/trace`, readErrors: true }, readText)).resolves.toEqual({
      status: 403,
      text: '{"message":"403"}',
    });
  });

  it('with readErrors, hands over the last 5xx only after the retries', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'x', [{ status: 502 }, { status: 502 }, { status: 503 }]);
    await expect(gitlabRequest(options(), { path: `projects/7/jobs/${id}/trace`, readErrors: true }, readText)).resolves.toEqual({
      status: 503,
      text: '{"message":"503"}',
    });
    expect(traceRequests(id)).toHaveLength(3);
  });

  it('the idempotent flag, not the method, decides whether a 5xx is retried', async () => {
    const id = job();
    gitlab.setTrace(7, id, 'done\n', [{ status: 502 }]);
    await expect(gitlabRequest(options(), { method: 'GET', path: `projects/7/jobs/${id}/trace`, idempotent: false }, readText)).rejects.toThrow(
      'GitLab answered 502',
    );
    gitlab.setTrace(7, id, 'done\n', [{ status: 502 }]);
    await expect(gitlabRequest(options(), { method: 'GET', path: `projects/7/jobs/${id}/trace`, idempotent: true }, readText)).resolves.toEqual({
      status: 200,
      text: 'done\n',
    });
    expect(traceRequests(id)).toHaveLength(3);
  });

  it('says how a call failed in kind', async () => {
    const stalled = job();
    gitlab.setTrace(7, stalled, 'x', ['stall']);
    await expect(gitlabRequest({ ...options(), timeoutMs: 200 }, { path: `projects/7/jobs/${stalled}/trace` }, readText)).rejects.toMatchObject({
      kind: 'timeout',
    });
    const redirected = job();
    gitlab.setTrace(7, redirected, 'x', [{ status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }]);
    await expect(gitlabRequest(options(), { path: `projects/7/jobs/${redirected}/trace` }, readText)).rejects.toMatchObject({ kind: 'redirect' });
    const refused = job();
    gitlab.setTrace(7, refused, 'x', [{ status: 404 }]);
    await expect(gitlabRequest(options(), { path: `projects/7/jobs/${refused}/trace` }, readText)).rejects.toMatchObject({ kind: 'status', status: 404 });
  });
});

describe('retryWaitMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['Retry-After in seconds', { 'retry-after': '2' }, 2000],
    ['Retry-After as an HTTP date', { 'retry-after': 'Thu, 01 Jan 2026 00:00:04 GMT' }, 4000],
    ['RateLimit-Reset in epoch seconds', { 'ratelimit-reset': String(now / 1000 + 1) }, 1000],
    ['Retry-After before RateLimit-Reset', { 'retry-after': '1', 'ratelimit-reset': String(now / 1000 + 9) }, 1000],
    ['nothing usable', { 'retry-after': 'soon' }, undefined],
  ])('%s', (_name, headers, expected) => {
    expect(retryWaitMs(new Headers(headers), now)).toBe(expected);
  });
});
