import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config/resolve.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startLocalBridge, type LocalBridge } from '../../lib/local/bridge.js';
import { LOCAL_AWS } from '../../lib/local/names.js';
import { opsFindings } from '../../lib/recovery/watch.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * Watch and the local timer: `npm start` with a GitLab API token scans on a timer, recovers,
 * and tells the config's ops route about disabled or missing hooks and failures found.
 */
const API_TOKEN = 'glpat-watch';
const WEBHOOK_TOKEN = 'watch-webhook-token';
let slack: SlackServer;
let gitlab: FakeGitLab;
let bridge: LocalBridge;
let store: DynamoDbDeliveryStore;

beforeAll(async () => {
  slack = await startSlackServer();
  gitlab = await startFakeGitLab({ maintainerTokens: [API_TOKEN] });
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl };
  bridge = await startLocalBridge({
    port: 0,
    tokens: [WEBHOOK_TOKEN],
    config: { ...resolveConfig(env), ops: { slack: { channel: '#ops' } }, recovery: { projects: ['acme/watched', 'acme/unhooked'], reenable: true } },
    credentials: credentialsFromEnv(env),
    // A long interval: the first scan runs at once, the test runs the next ones.
    recovery: { gitlabUrl: gitlab.url, token: API_TOKEN, intervalMs: 3_600_000, initialDelayMs: 0 },
    print: () => {},
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint }), tableName: bridge.tableName });
});

afterAll(async () => {
  await bridge.stop();
  await slack.close();
  await gitlab.stop();
});

const opsPosts = () =>
  slack.calls.filter((call) => call.method === 'chat.postMessage' && call.params.channel === '#ops').map((call) => JSON.stringify(call.params));

describe('watching the bridge hooks', () => {
  it('the timer scans at start: a missing hook goes to the ops route once, not on every scan', async () => {
    const until = Date.now() + 10_000;
    while (opsPosts().length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    // Neither project exists yet at the first scan: both are reported as unreadable.
    expect(opsPosts()).toHaveLength(1);
    expect(opsPosts()[0]).toContain('acme/watched could not be scanned');
    await bridge.recoverNow();
    expect(opsPosts()).toHaveLength(1);
  });

  it('re-enables a disabled hook with a test push, recovers its failed events, and tells the ops route with the window GitLab did not log', async () => {
    const watched = gitlab.addProject('acme/watched');
    gitlab.addProject('acme/unhooked');
    const hook = gitlab.addHook(watched, { url: bridge.webhookUrl, name: 'gitlab-bridge', token: WEBHOOK_TOKEN, alert_status: 'disabled' });
    const headers = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers, data: pushEvent({ projectId: watched.id, projectPath: 'acme/watched' }), responseStatus: 500 });

    const report = await bridge.recoverNow();
    expect(report?.hooks).toEqual([
      expect.objectContaining({ project: 'acme/watched', state: 'disabled', reenabled: true }),
      expect.objectContaining({ project: 'acme/unhooked', state: 'not_connected' }),
    ]);
    expect(hook.alert_status).toBe('executable');
    expect(gitlab.testDeliveries).toEqual([expect.objectContaining({ hookUrl: bridge.webhookUrl, trigger: 'push_events', status: 202 })]);
    expect(report).toMatchObject({ recovered: 1 });
    expect(await store.get(headers['idempotency-key']!)).toMatchObject({ recovered: { hookId: hook.id } });

    const post = opsPosts().at(-1) ?? '';
    expect(opsPosts()).toHaveLength(2);
    expect(post).toContain(`acme/watched hook #${hook.id} was disabled and is re-enabled`);
    expect(post).toContain('GitLab logs nothing while a hook is disabled');
    expect(post).toContain('acme/unhooked has no webhook pointing at the bridge');
    expect(post).toContain('GitLab failed to deliver 1 event to the bridge: 1 recovered');
  });
});

describe('opsFindings', () => {
  const base = { scanned: 0, alreadyRecorded: 0, recovered: 0, resent: 0, failed: 0, pending: 0, dryRun: false, mode: 'ingest' as const, events: [] };
  it('says nothing about healthy hooks with nothing to recover', () => {
    expect(opsFindings({ ...base, hooks: [{ project: 'a/b', projectId: 1, hookId: 2, state: 'ok' }] })).toEqual({ hooks: [], deliveries: undefined });
  });
  it('names a temporarily disabled hook with its end, and failures that could not be recovered', () => {
    const findings = opsFindings({
      ...base,
      failed: 2,
      hooks: [{ project: 'a/b', projectId: 1, hookId: 2, state: 'temporarily_disabled', disabledUntil: '2026-01-16T12:00:00Z' }],
    });
    expect(findings.hooks[0]).toMatch(/^a\/b hook #2 is temporarily disabled by GitLab until 2026-01-16T12:00:00Z/);
    expect(findings.deliveries).toContain('2 not recoverable');
  });
});
