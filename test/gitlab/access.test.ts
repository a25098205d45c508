import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabAccess, GITLAB_DOWN_CACHE_MS, NO_GITLAB_API_TOKEN, withGitLabBudget } from '../../lib/gitlab/access.js';
import { GitLabClient } from '../../lib/gitlab/api-client.js';
import type { GitLabApi } from '../../lib/gitlab/api.js';
import { LOCAL_AWS } from '../../lib/local/names.js';
import { credentialsFromEnv, credentialsFromSecrets } from '../../lib/secrets/credentials.js';
import { CachedSecretsManagerReader } from '../../lib/secrets/secret-reader.js';
import { startLocalSecretsManager, type LocalSecretsManager } from '../cdk/support/secrets-manager-server.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';

const PROJECT = 'https://gitlab.example.com/group/sub/project';
const GITLAB_COM_PROJECT = 'https://gitlab.com/group/sub/project';

/** A client factory that records what it was built with; its clients answer with where they point. */
function recordingFactory() {
  const built: { root: string; token: string }[] = [];
  const client = (root: string, token: string): GitLabApi => {
    built.push({ root, token });
    return { jobTrace: async () => `${root} ${token}`, user: async (id) => ({ id, username: root }) };
  };
  return { built, client };
}

function accessWith(env: NodeJS.ProcessEnv, gitlabUrl?: string, allowLoopbackProject?: boolean) {
  const factory = recordingFactory();
  const access = createGitLabAccess({ credentials: credentialsFromEnv(env), gitlabUrl, client: factory.client, allowLoopbackProject });
  return { access, built: factory.built };
}

const TOKEN = { GITLAB_API_TOKEN: 'glpat-test-token' };

describe('the GitLab instance root', () => {
  it.each([
    ['https://gitlab.example.com', 'https://gitlab.example.com'],
    ['https://gitlab.example.com/', 'https://gitlab.example.com'],
    ['https://gitlab.example.com/api/v4', 'https://gitlab.example.com'],
    ['https://gitlab.example.com/api/v4/', 'https://gitlab.example.com'],
    [' https://example.com/gitlab/ ', 'https://example.com/gitlab'],
    ['http://127.0.0.1:8929/api/v4', 'http://127.0.0.1:8929'],
    ['http://localhost:8080', 'http://localhost:8080'],
  ])('takes GITLAB_URL %j as the root %j, whatever the project says', async (gitlabUrl, root) => {
    const { access, built } = accessWith(TOKEN, gitlabUrl);
    const result = await access.forProject('https://elsewhere.example.org/group/project');
    expect(result.unavailable).toBeUndefined();
    expect(built).toEqual([{ root, token: 'glpat-test-token' }]);
  });

  it.each([
    ['https://gitlab.com/group/project', 'https://gitlab.com'],
    ['https://gitlab.com/group/sub/project?x=1', 'https://gitlab.com'],
  ])("without GITLAB_URL, takes GitLab.com from the project's web_url %j", async (webUrl, root) => {
    const { access, built } = accessWith(TOKEN);
    expect((await access.forProject(webUrl)).api).toBeDefined();
    expect(built).toEqual([{ root, token: 'glpat-test-token' }]);
  });

  it.each([
    ['http://127.0.0.1:3001/group/project', 'http://127.0.0.1:3001'],
    ['http://localhost:8080/a/b', 'http://localhost:8080'],
  ])("in the local bridge, without GITLAB_URL, takes a loopback web_url's origin %j", async (webUrl, root) => {
    const { access, built } = accessWith(TOKEN, undefined, true);
    expect((await access.forProject(webUrl)).api).toBeDefined();
    expect(built).toEqual([{ root, token: 'glpat-test-token' }]);
  });

  it.each([
    [PROJECT, false, 'the project is on https://gitlab.example.com'],
    ['https://evil.example/group/project', false, 'the project is on https://evil.example'],
    ['https://evil.example/group/project', true, 'the project is on https://evil.example'],
    ['https://gitlab.com.evil.example/group/project', false, 'the project is on https://gitlab.com.evil.example'],
    ['https://gitlab.com:8443/group/project', false, 'the project is on https://gitlab.com:8443'],
    ['http://gitlab.com/group/project', false, 'the project is on http://gitlab.com'],
    ['http://127.0.0.1:3001/group/project', false, 'the project is on http://127.0.0.1:3001'],
    ['not a url', false, "the project's web_url names no GitLab"],
    ['mailto:someone@example.com', false, "the project's web_url names no GitLab"],
  ])('without GITLAB_URL, never sends the token to the host web_url %j names (local bridge: %j)', async (webUrl, local, where) => {
    const { access, built } = accessWith(TOKEN, undefined, local);
    expect(await access.forProject(webUrl)).toEqual({ unavailable: `set GITLAB_URL to your GitLab's address (${where}) so the API token goes only there` });
    expect(built).toEqual([]);
  });

  it("with GITLAB_URL set, uses it when the payload's web_url names another origin (GitLab.com and loopback included)", async () => {
    const { access, built } = accessWith(TOKEN, 'https://gitlab.example.com', true);
    for (const webUrl of ['https://evil.example/g/p', 'https://gitlab.com/g/p', 'http://127.0.0.1:3001/g/p'])
      expect((await access.forProject(webUrl)).api).toBeDefined();
    expect(built).toEqual([{ root: 'https://gitlab.example.com', token: 'glpat-test-token' }]);
  });

  it.each([
    [
      'http://gitlab.example.com',
      undefined,
      /^GITLAB_URL uses plain http, which would send the GitLab API token in clear \(set GITLAB_URL to its https address\)$/,
    ],
    ['gitlab.example.com', undefined, /^GITLAB_URL is not a URL$/],
    ['ftp://gitlab.example.com', undefined, /^GITLAB_URL is not an http\(s\) URL$/],
  ])('refuses GITLAB_URL %j / web_url %j with a reason, building no client', async (gitlabUrl, webUrl, reason) => {
    const { access, built } = accessWith(TOKEN, gitlabUrl);
    const result = await access.forProject(webUrl ?? PROJECT);
    expect(result.api).toBeUndefined();
    expect(result.unavailable).toMatch(reason);
    expect(built).toEqual([]);
  });
});

describe('the GitLab API token', () => {
  it('says no token is configured before anything about the instance (a self-managed project, no GITLAB_URL)', async () => {
    const { access } = accessWith({});
    expect(await access.forProject('https://gitlab.example.com/group/app')).toEqual({ unavailable: NO_GITLAB_API_TOKEN });
  });

  it.each([{}, { GITLAB_API_TOKEN: '' }, { GITLAB_API_TOKEN: 'REPLACE_ME: put the token here' }])(
    'says no token is configured for %j, and builds no client',
    async (env) => {
      const { access, built } = accessWith(env);
      expect(await access.forProject(GITLAB_COM_PROJECT)).toEqual({ unavailable: NO_GITLAB_API_TOKEN });
      expect(NO_GITLAB_API_TOKEN).toBe('no GitLab API token is configured (set GITLAB_API_TOKEN, or the secret named by GITLAB_API_SECRET_ID)');
      expect(built).toEqual([]);
    },
  );

  it('turns a token with a newline inside into a reason that does not quote it, building no client', async () => {
    const { access, built } = accessWith({ GITLAB_API_TOKEN: 'glpat-leaked\nX-Injected: 1' });
    const result = await access.forProject(GITLAB_COM_PROJECT);
    expect(result.unavailable).toBe(
      'the GitLab API token could not be read (ConfigError: the GitLab API token (GITLAB_API_TOKEN) is not one line of printable ASCII; put in the token alone (glpat-...))',
    );
    expect(built).toEqual([]);
  });

  it('keeps one client per instance root and token', async () => {
    const { access, built } = accessWith(TOKEN);
    const first = await access.forProject(GITLAB_COM_PROJECT);
    const again = await access.forProject('https://gitlab.com/other/project');
    expect(again.api).toBe(first.api);
    expect(built.map(({ root }) => root)).toEqual(['https://gitlab.com']);
  });

  it('says why when the client cannot be built, without throwing', async () => {
    const access = createGitLabAccess({
      credentials: credentialsFromEnv(TOKEN),
      client: () => {
        throw new Error('bad root');
      },
    });
    expect(await access.forProject(GITLAB_COM_PROJECT)).toEqual({ unavailable: 'no GitLab client for https://gitlab.com (bad root)' });
  });
});

describe('the GitLab API token from Secrets Manager', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:GitLabBridge/gitlab-api-token-AbCdEf';
  const secrets: Record<string, string> = {};
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    server = await startLocalSecretsManager(secrets);
    client = new SecretsManagerClient({ ...LOCAL_AWS, endpoint: server.endpoint, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  /** A reader with no cache, so each call sees the secret as it is now. */
  const accessReading = (secretId: string) => {
    const factory = recordingFactory();
    const credentials = credentialsFromSecrets(new CachedSecretsManagerReader(client, 0), { gitlabApi: secretId });
    return { access: createGitLabAccess({ credentials, client: factory.client }), built: factory.built };
  };

  it('reads the token from the secret, and rebuilds the client when the secret rotates', async () => {
    secrets[SECRET] = 'glpat-first\n';
    const { access, built } = accessReading(SECRET);
    const first = await access.forProject(GITLAB_COM_PROJECT);
    expect((await access.forProject(GITLAB_COM_PROJECT)).api).toBe(first.api);
    secrets[SECRET] = '{"token":"glpat-second"}';
    const rotated = await access.forProject(GITLAB_COM_PROJECT);
    expect(rotated.api).toBeDefined();
    expect(rotated.api).not.toBe(first.api);
    expect(built).toEqual([
      { root: 'https://gitlab.com', token: 'glpat-first' },
      { root: 'https://gitlab.com', token: 'glpat-second' },
    ]);
    expect(server.reads.filter((id) => id === SECRET).length).toBeGreaterThanOrEqual(3);
  });

  it("treats the stack's placeholder as no token", async () => {
    secrets[SECRET] = 'REPLACE_ME: put the GitLab API token (glpat-...) here';
    expect(await accessReading(SECRET).access.forProject(GITLAB_COM_PROJECT)).toEqual({ unavailable: NO_GITLAB_API_TOKEN });
  });

  it('turns a failed secret read into a reason, not a throw', async () => {
    const result = await accessReading(`${SECRET}-missing`).access.forProject(GITLAB_COM_PROJECT);
    expect(result.unavailable).toMatch(
      /^the GitLab API token could not be read \(ResourceNotFoundException: Secrets Manager can't find the specified secret\.\)$/,
    );
  });

  it('turns a malformed secret into a reason that does not quote it', async () => {
    secrets[SECRET] = '{"token": glpat-leaked';
    const result = await accessReading(SECRET).access.forProject(GITLAB_COM_PROJECT);
    expect(result.unavailable).toMatch(/^the GitLab API token could not be read \(ConfigError: the GitLab API token secret is not a JSON object/);
    expect(result.unavailable).not.toContain('glpat-leaked');
  });
});

describe('a GitLab that stalls, over HTTP to the GitLab stand-in', () => {
  const API_TOKEN = 'glpat-stalltest0000000000';
  let gitlab: FakeGitLab;
  beforeAll(async () => {
    gitlab = await startFakeGitLab({ maintainerTokens: [API_TOKEN] });
  });
  afterAll(async () => {
    await gitlab?.stop();
  });
  const traces = () => gitlab.requestsTo('GET', /\/jobs\/\d+\/trace$/);

  it('is not asked again for 5 min after a timeout: the next lookups get the reason at once', async () => {
    gitlab.requests.length = 0;
    gitlab.traceAnswer = 'stall';
    let now = 1_000_000;
    const access = createGitLabAccess({
      credentials: credentialsFromEnv({ GITLAB_API_TOKEN: API_TOKEN }),
      gitlabUrl: gitlab.url,
      client: (root, token) => new GitLabClient({ url: root, token, timeoutMs: 200 }),
      now: () => now,
    });
    const first = await access.forProject(GITLAB_COM_PROJECT);
    await expect(first.api!.jobTrace(7, 1, 1024)).rejects.toThrow('GitLab did not answer within 0.2 s');
    expect(await access.forProject(GITLAB_COM_PROJECT)).toEqual({
      unavailable: 'GitLab did not answer within 0.2 s a moment ago; not asked again for up to 5 min',
    });
    now += GITLAB_DOWN_CACHE_MS - 1;
    expect((await access.forProject(GITLAB_COM_PROJECT)).unavailable).toBeDefined();
    expect(traces()).toHaveLength(1);

    now += 2;
    gitlab.traceAnswer = undefined;
    gitlab.setTrace(7, 2, 'back\n');
    const again = await access.forProject(GITLAB_COM_PROJECT);
    expect(await again.api!.jobTrace(7, 2, 1024)).toBe('back\n');
    expect(traces()).toHaveLength(2);
  });

  it('is not remembered as down after an answer it gave (a 403)', async () => {
    gitlab.requests.length = 0;
    gitlab.traceAnswer = { status: 403 };
    const access = createGitLabAccess({
      credentials: credentialsFromEnv({ GITLAB_API_TOKEN: API_TOKEN }),
      gitlabUrl: gitlab.url,
      client: (root, token) => new GitLabClient({ url: root, token }),
    });
    await expect((await access.forProject(GITLAB_COM_PROJECT)).api!.jobTrace(7, 3, 1024)).rejects.toThrow('GitLab answered 403');
    expect((await access.forProject(GITLAB_COM_PROJECT)).api).toBeDefined();
    gitlab.traceAnswer = undefined;
  });

  it("bounds all of one delivery's lookups together by its budget, and makes none once it is spent", async () => {
    gitlab.requests.length = 0;
    gitlab.traceAnswer = 'stall';
    const access = createGitLabAccess({
      credentials: credentialsFromEnv({ GITLAB_API_TOKEN: API_TOKEN }),
      gitlabUrl: gitlab.url,
      // Each call alone would wait its 5 s.
      client: (root, token) => new GitLabClient({ url: root, token, timeoutMs: 5_000 }),
    });
    const budgeted = withGitLabBudget(access, 300);
    const started = Date.now();
    const api = (await budgeted.forProject(GITLAB_COM_PROJECT)).api!;
    const results = await Promise.allSettled([api.jobTrace(7, 4, 1024), api.jobTrace(7, 5, 1024)]);
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const result of results)
      expect(result).toMatchObject({ status: 'rejected', reason: { reason: 'GitLab lookups took more than 0.3 s for this notice', kind: 'timeout' } });
    expect(await budgeted.forProject(GITLAB_COM_PROJECT)).toEqual({ unavailable: 'GitLab lookups took more than 0.3 s for this notice' });
    await expect(api.user(1)).rejects.toThrow('GitLab lookups took more than 0.3 s for this notice');
    expect(gitlab.requests).toHaveLength(2);
    // Another delivery has a budget of its own.
    gitlab.traceAnswer = undefined;
    gitlab.setTrace(7, 6, 'ok\n');
    expect(await (await withGitLabBudget(access, 300).forProject(GITLAB_COM_PROJECT)).api!.jobTrace(7, 6, 1024)).toBe('ok\n');
  });
});
