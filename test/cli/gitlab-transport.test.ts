import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../cli/exit-codes.js';
import { gitlabApiBase, GitLabHooksApi } from '../../cli/gitlab/hooks-api.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { cli } from './harness.js';

const TOKEN = 'glpat-secret-maintainer-token';
const WEBHOOK_URL = 'https://bridge.example.com/webhooks/gitlab';

interface Peer {
  server: Server;
  url: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[];
}

/** A loopback HTTP server that records requests and answers with `answer` (or never, when it returns false). */
async function startPeer(
  answer: (peer: Peer, request: { method: string; url: string }, response: import('node:http').ServerResponse) => boolean,
): Promise<Peer> {
  const peer: Peer = { server: createServer(), url: '', requests: [] };
  peer.server.on('request', (request, response) => {
    const seen = { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers };
    peer.requests.push(seen);
    request.resume();
    request.on('end', () => void answer(peer, seen, response));
  });
  await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', () => resolve()));
  peer.url = `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}`;
  return peer;
}

async function stopPeer(peer: Peer | undefined): Promise<void> {
  if (!peer) return;
  peer.server.closeAllConnections();
  await new Promise<void>((resolve) => peer.server.close(() => resolve()));
}

/** A peer on another origin answering `status` with `body`, and one that 308-redirects every request to it. */
async function startRedirect(status: number, body: string): Promise<{ elsewhere: Peer; redirecting: Peer }> {
  const elsewhere = await startPeer((_peer, _request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
    return true;
  });
  const redirecting = await startPeer((_peer, request, response) => {
    response.writeHead(308, { location: `${elsewhere.url}${request.url}` });
    response.end();
    return true;
  });
  return { elsewhere, redirecting };
}

describe('the CLI never follows a GitLab redirect', () => {
  let elsewhere: Peer;
  let redirecting: Peer;

  beforeAll(async () => {
    // 308 keeps the method and body: fetch would re-send PRIVATE-TOKEN, and a POSTed hook token, to the other origin.
    ({ elsewhere, redirecting } = await startRedirect(200, '[]'));
  });
  afterAll(async () => {
    await stopPeer(redirecting);
    await stopPeer(elsewhere);
  });

  it.each([
    ['status', ['gitlab', 'status', '--project', 'group/app']],
    ['connect', ['gitlab', 'connect', '--project', 'group/app']],
  ])('%s: a 308 to another origin stops with a clear message, and the token never reaches it', async (_name, argv) => {
    const run = await cli(
      { GITLAB_URL: redirecting.url, GITLAB_TOKEN: TOKEN, GITLAB_WEBHOOK_TOKEN: 'bridge-webhook-token', BRIDGE_WEBHOOK_URL: WEBHOOK_URL },
      argv,
    );
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(
      /^gitlab-bridge: GitLab at http:\/\/127\.0\.0\.1:\d+ answered GET \/projects\/group%2Fapp(\/hooks)? with a redirect, which the CLI does not follow/,
    );
    expect(run.stderr).not.toContain(TOKEN);
    expect(redirecting.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('GITLAB_URL must be https outside loopback', () => {
  it.each(['https://gitlab.example.com', 'http://127.0.0.1:8080', 'http://localhost:3000', 'http://[::1]:3000', 'http://127.1.2.3'])('accepts %s', (url) => {
    expect(gitlabApiBase(url)).toBe(`${url}/api/v4`);
  });

  it.each(['http://gitlab.example.com', 'http://10.0.0.5', 'http://localhost.example.com'])('refuses %s as a usage error', (url) => {
    expect(() => gitlabApiBase(url)).toThrow(CliError);
    expect(() => gitlabApiBase(url)).toThrow(/must use https/);
  });

  it('exits 2 without sending the token anywhere', async () => {
    const run = await cli({ GITLAB_URL: 'http://gitlab.example.com', GITLAB_TOKEN: TOKEN }, ['gitlab', 'status', '--project', 'group/app']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/^gitlab-bridge: GITLAB_URL "http:\/\/gitlab\.example\.com" must use https/);
  });
});

describe('GitLab calls are bounded', () => {
  let stalled: Peer;

  beforeAll(async () => {
    stalled = await startPeer(() => false);
  });
  afterAll(async () => stopPeer(stalled));

  it('a GitLab that never answers fails the call with a clear error', async () => {
    const api = new GitLabHooksApi({ url: stalled.url, token: TOKEN, fetch: globalThis.fetch, timeoutMs: 200 });
    const started = Date.now();
    await expect(api.getProject('group/app')).rejects.toThrow(/did not answer GET \/projects\/group%2Fapp within 0\.2s/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the GitLab access token from stdin or env, flags with a warning', () => {
  let gitlab: FakeGitLab;

  beforeAll(async () => {
    gitlab = await startFakeGitLab({ maintainerTokens: [TOKEN] });
    gitlab.addProject('group/app');
  });
  afterAll(async () => gitlab.stop());
  afterEach(() => {
    gitlab.requests.length = 0;
  });

  it('--token-stdin reads the token piped in (first line)', async () => {
    const run = await cli(
      { GITLAB_URL: gitlab.url, BRIDGE_WEBHOOK_URL: WEBHOOK_URL },
      ['gitlab', 'status', '--project', 'group/app', '--token-stdin', '--json'],
      { stdin: `${TOKEN}\n` },
    );
    expect(run.stderr).toBe('');
    expect(gitlab.requests[0]?.headers['private-token']).toBe(TOKEN);
  });

  it('--token-stdin with nothing piped in is a credentials error', async () => {
    const run = await cli({ GITLAB_URL: gitlab.url }, ['gitlab', 'status', '--project', 'group/app', '--token-stdin'], { stdin: '' });
    expect(run.code).toBe(EXIT.auth);
    expect(run.stderr).toMatch(/^gitlab-bridge: --token-stdin: nothing on stdin/);
    expect(gitlab.requests).toEqual([]);
  });

  it('GITLAB_TOKEN needs no warning', async () => {
    const run = await cli({ GITLAB_URL: gitlab.url, GITLAB_TOKEN: TOKEN, BRIDGE_WEBHOOK_URL: WEBHOOK_URL }, [
      'gitlab',
      'status',
      '--project',
      'group/app',
      '--json',
    ]);
    expect(run.stderr).toBe('');
  });

  it('--gitlab-token still works, and warns that ps shows it', async () => {
    const run = await cli({ GITLAB_URL: gitlab.url, BRIDGE_WEBHOOK_URL: WEBHOOK_URL }, [
      'gitlab',
      'status',
      '--project',
      'group/app',
      '--gitlab-token',
      TOKEN,
      '--json',
    ]);
    expect(gitlab.requests[0]?.headers['private-token']).toBe(TOKEN);
    expect(run.stderr).toMatch(/^warning: --gitlab-token puts the secret on the command line, where other users see it in `ps`/);
    expect(run.stderr).not.toContain(TOKEN);
  });
});

describe('send-sample does not follow redirects', () => {
  let elsewhere: Peer;
  let redirecting: Peer;

  beforeAll(async () => {
    ({ elsewhere, redirecting } = await startRedirect(202, '{}'));
  });
  afterAll(async () => {
    await stopPeer(redirecting);
    await stopPeer(elsewhere);
  });

  it('a 308 fails the send and the webhook token stays with the first address', async () => {
    const run = await cli({ GITLAB_WEBHOOK_TOKEN: 'bridge-webhook-token' }, ['send-sample', 'push', '--url', `${redirecting.url}/webhooks/gitlab`]);
    expect(run.code).toBe(EXIT.failure);
    expect(run.stderr).toMatch(
      /^gitlab-bridge: cannot reach http:\/\/127\.0\.0\.1:\d+\/webhooks\/gitlab \(it answered with a redirect, which is not followed\)/,
    );
    expect(redirecting.requests).toHaveLength(1);
    expect(elsewhere.requests).toEqual([]);
  });
});
