import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startLocalBridge, type LocalBridge } from '../../lib/local/bridge.js';
import type { BridgeLogger } from '../../lib/logger.js';
import { LOCAL_AWS, LOCAL_TABLE_NAME } from '../../lib/local/names.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseWebhookAuth } from '../../lib/gitlab/webhook-auth.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { digestKey, type DigestState } from '../../lib/notify/digest.js';
import { windowsEndedBetween } from '../../lib/notify/quiet-hours.js';
import { QuietHoursSchema } from '../../lib/routing/schema.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { gitlabHeaders, readFixture } from '../support/gitlab-fixtures.js';

const dataDir = mkdtempSync(join(tmpdir(), 'bridge-test-'));
const printed: string[] = [];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function start(tokens: string[] = ['local-token'], log: BridgeLogger = quiet): Promise<LocalBridge> {
  return startLocalBridge({
    port: 0,
    dataDir,
    tokens,
    config: parseConfig({ routes: [] }),
    credentials: credentialsFromEnv({}),
    print: (text) => printed.push(text),
    log,
  });
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the local bridge (npm start)', () => {
  it('receives a webhook over HTTP, records it in dynalite and processes it through the local queue', async () => {
    const bridge = await start();
    try {
      expect(await (await fetch(`${bridge.url}/healthz`)).json()).toEqual({ ok: true });
      const headers = gitlabHeaders('Pipeline Hook', 'local-token');
      const response = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: JSON.stringify(readFixture('pipeline--success.json')) });
      expect(response.status).toBe(202);
      const store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
      const stored = await waitFor(
        () => store.get(headers['idempotency-key'] ?? ''),
        (record) => record?.status === 'done',
      );
      expect(stored?.status).toBe('done');
      expect((await fetch(bridge.webhookUrl, { method: 'POST', headers: { ...headers, 'x-gitlab-token': 'wrong' }, body: '{}' })).status).toBe(401);
      expect((await fetch(`${bridge.url}/elsewhere`)).status).toBe(404);
      const oversized = await fetch(bridge.webhookUrl, {
        method: 'POST',
        headers: gitlabHeaders('Push Hook', 'local-token'),
        body: `{"pad":"${'x'.repeat(6 * 1024 * 1024)}"}`,
      });
      expect(oversized.status).toBe(413);
      expect(await oversized.json()).toEqual({ error: 'body is larger than the 5242880-byte limit' });
    } finally {
      await bridge.stop();
    }
  });

  it('refuses web pages on its DynamoDB and SQS ports, and leaves the webhook port to GitLab, where a page can neither deliver nor read', async () => {
    const bridge = await start();
    try {
      const page = { origin: 'https://evil.example' };
      const scan = await fetch(bridge.dynamoEndpoint, {
        method: 'POST',
        headers: { ...page, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan' },
        body: JSON.stringify({ TableName: LOCAL_TABLE_NAME }),
      });
      expect(scan.status).toBe(403);
      const receive = await fetch(bridge.sqsEndpoint, {
        method: 'POST',
        headers: { ...page, 'content-type': 'application/x-www-form-urlencoded' },
        body: `Action=ReceiveMessage&QueueUrl=${encodeURIComponent(bridge.queueUrl)}`,
      });
      expect(receive.status).toBe(403);

      // The webhook port takes GitLab's POSTs (possibly through a tunnel, so any Host). A page can
      // send only a form (no X-Gitlab-Token without a preflight): refused before the token check.
      const form = await fetch(bridge.webhookUrl, { method: 'POST', headers: { ...page, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
      expect(form.status).toBe(415);
      expect(form.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(bridge.webhookUrl, {
        method: 'OPTIONS',
        headers: { ...page, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-gitlab-token,content-type' },
      });
      expect(preflight.status).toBe(405);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    } finally {
      await bridge.stop();
    }
  });

  it('keeps the delivery log across a restart and requeues what was left unfinished', async () => {
    const first = await start();
    const store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: first.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
    const record = (id: string, status: 'queued' | 'done') =>
      store.create({
        id,
        receivedAt: new Date().toISOString(),
        event: 'Pipeline Hook',
        objectKind: 'pipeline',
        projectId: 1,
        projectPath: 'gitlab-org/gitlab-test',
        ref: 'master',
        headers: {},
        payload: JSON.stringify(readFixture('pipeline--success.json')),
        status,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      });
    await record('left-over', 'queued');
    // A finished delivery too, so the log holds two records even when this test runs alone (-t).
    await record('finished-before-restart', 'done');
    await first.stop();

    const second = await start();
    try {
      expect(second.requeued).toBeGreaterThanOrEqual(1);
      const store2 = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: second.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
      const record = await waitFor(
        () => store2.get('left-over'),
        (value) => value?.status === 'done',
      );
      expect(record?.status).toBe('done');
      const page = await store2.list({ limit: 50 });
      expect(page.items.length).toBeGreaterThanOrEqual(2);
    } finally {
      await second.stop();
    }
  });

  it('applies per-project rules from the GitLab secret document (GITLAB_WEBHOOK_AUTH)', async () => {
    const bridge = await startLocalBridge({
      port: 0,
      tokens: [],
      auth: parseWebhookAuth(JSON.stringify({ tokens: ['global-tok'], projects: { 'GitLab-Org/GitLab-Test': { id: 1, tokens: ['own-tok'] } } })),
      config: parseConfig({ routes: [] }),
      credentials: credentialsFromEnv({}),
      print: (text) => printed.push(text),
      log: quiet,
    });
    try {
      expect(bridge.tokenGenerated).toBe(false);
      const body = JSON.stringify(readFixture('pipeline--success.json'));
      const send = async (token: string) => (await fetch(bridge.webhookUrl, { method: 'POST', headers: gitlabHeaders('Pipeline Hook', token), body })).status;
      expect(await send('global-tok')).toBe(401);
      expect(await send('own-tok')).toBe(202);
    } finally {
      await bridge.stop();
    }
  });

  it('stops with webhooks in flight: a request that reached the receiver is answered, and only answered ones are recorded', async () => {
    const errors: string[] = [];
    const bridge = await start(['local-token'], { ...quiet, error: (message) => errors.push(message) });
    const body = JSON.stringify(readFixture('pipeline--success.json'));
    const sent: { id: string; outcome: string }[] = [];
    let stopped = false;
    // Eight senders keep requests in flight continuously, so stop() lands in the middle of some.
    const sender = async () => {
      while (!stopped) {
        const headers = gitlabHeaders('Pipeline Hook', 'local-token');
        const id = headers['idempotency-key'] ?? '';
        try {
          const response = await fetch(bridge.webhookUrl, { method: 'POST', headers, body });
          await response.text();
          sent.push({ id, outcome: String(response.status) });
        } catch (error) {
          sent.push({ id, outcome: (error as { cause?: { code?: string } }).cause?.code ?? String(error) });
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await waitFor(
      async () => sent.filter((request) => request.outcome === '202').length,
      (count) => count >= 8,
    );
    await bridge.stop();
    stopped = true;
    await Promise.all(senders);
    // The receiver never wrote to SQS or dynalite after they closed.
    expect(errors).toEqual([]);

    const again = await start();
    try {
      const store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: again.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
      const mismatched: string[] = [];
      for (const request of sent) {
        const recorded = (await store.get(request.id)) !== undefined;
        // 202: recorded. 503 (stopping) or a connection the bridge closed before reading the
        // request (ECONNRESET, UND_ERR_SOCKET, ECONNREFUSED): never reached the receiver, so not
        // recorded. A recorded delivery whose sender saw no 202 was cut off mid-request.
        if (recorded !== (request.outcome === '202')) mismatched.push(`${request.outcome} ${recorded ? 'recorded' : 'not recorded'}`);
      }
      expect(mismatched).toEqual([]);
      expect(sent.map((request) => request.outcome)).not.toContain('500');
    } finally {
      await again.stop();
    }
  });

  it('prints a quiet-hours digest that is due from its own timer, once', async () => {
    const quietHours = { timezone: 'Europe/Berlin', from: '19:00', to: '08:00' };
    const bridge = await startLocalBridge({
      port: 0,
      dataDir,
      tokens: ['local-token'],
      config: parseConfig({ routes: [{ slack: { channel: 'C0LOCALQUIET' }, options: { quietHours } }] }),
      credentials: credentialsFromEnv({}),
      print: (text) => printed.push(text),
      log: quiet,
      digestIntervalMs: 100,
    });
    try {
      const now = new Date();
      const window = windowsEndedBetween(QuietHoursSchema.parse(quietHours), new Date(now.getTime() - 86_400_000), now).at(-1)!;
      const state = new DynamoDbStateStore(new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint }), LOCAL_TABLE_NAME);
      await state.put<DigestState>(digestKey({ id: 'slack:C0LOCALQUIET' }, window.end), {
        target: { kind: 'slack', channel: 'C0LOCALQUIET' },
        end: window.end.toISOString(),
        endLabel: '08:00 Europe/Berlin',
        items: [
          {
            key: 'slack:C0LOCALQUIET:mr:1@acme/api:7:opened',
            text: 'MR !7 opened: Quiet please',
            url: 'https://gitlab.example.com/acme/api/-/merge_requests/7',
          },
        ],
      });
      const digests = () => printed.filter((text) => text.includes('C0LOCALQUIET') && text.includes('held during quiet hours'));
      await waitFor(
        async () => digests().length,
        (count) => count > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(digests()).toHaveLength(1);
      expect(digests()[0]).toContain('MR !7 opened: Quiet please');
    } finally {
      await bridge.stop();
    }
  });

  it('generates a token when none is given and keeps it across restarts', async () => {
    const first = await start([]);
    await first.stop();
    const second = await start([]);
    await second.stop();
    expect(first.tokenGenerated).toBe(true);
    expect(first.tokens[0]?.length).toBeGreaterThanOrEqual(32);
    expect(second.tokens).toEqual(first.tokens);
  });
});
