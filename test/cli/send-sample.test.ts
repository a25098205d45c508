import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';
import { startHttpAdapter } from '../../lib/local/http-adapter.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;
const TOKEN = 'sample-token';
const SIGNING_KEY = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('send-sample', () => {
  let capture: Server;
  let captureUrl: string;
  const captured: { headers: IncomingHttpHeaders; body: string }[] = [];
  let table: TestTable;
  let sqs: LocalSqs;
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    capture = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        captured.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ deliveryId: 'captured-1', status: 'queued' }));
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', () => resolve()));
    captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/webhooks/gitlab`;

    table = await startTestTable('cli-samples');
    sqs = await startTestQueues({ queueName: 'cli-samples-queue' });
    const handler = createApiGatewayHandler({
      deliveries: new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName }),
      queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
      auth: async () => webhookAuthFromEnv(TOKEN, SIGNING_KEY),
    });
    const adapter = await startHttpAdapter({ handler, port: 0, host: '127.0.0.1', maxBodyBytes: DEFAULTS.maxBodyBytes, healthy: () => true });
    receiver = adapter.server;
    receiverUrl = `${adapter.url}${WEBHOOK_PATH}`;
  });

  afterAll(async () => {
    for (const server of [capture, receiver]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
    await sqs?.close();
    await table?.close();
  });

  it("posts the sample with GitLab's headers and a fresh Idempotency-Key each time", async () => {
    const env = { GITLAB_WEBHOOK_TOKEN: TOKEN };
    const first = await cli(env, ['send-sample', 'pipeline-failed', '--url', captureUrl]);
    const second = await cli(env, ['send-sample', 'pipeline-failed', '--url', captureUrl]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `Sent pipeline-failed (pipeline #1021 on main failed in job unit-tests) to ${captureUrl}: 202 Accepted {"deliveryId":"captured-1","status":"queued"}\nFollow it with \`gitlab-bridge deliveries show captured-1\`.\n`,
    );
    expect(second.code).toBe(0);
    const [a, b] = captured.slice(-2) as [(typeof captured)[number], (typeof captured)[number]];
    expect(a.headers).toMatchObject({
      'content-type': 'application/json',
      'x-gitlab-event': 'Pipeline Hook',
      'x-gitlab-token': TOKEN,
      'x-gitlab-instance': 'http://gitlab.example.com',
      'user-agent': expect.stringMatching(/^GitLab\/18\.\d+\.\d+$/),
    });
    for (const name of ['idempotency-key', 'x-gitlab-event-uuid', 'x-gitlab-webhook-uuid']) {
      expect(a.headers[name]).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(a.headers['idempotency-key']).not.toBe(b.headers['idempotency-key']);
    expect(a.headers['webhook-signature']).toBeUndefined();
    const payloadA = JSON.parse(a.body) as {
      object_kind: string;
      object_attributes: { id: number; status: string };
      builds: { name: string; status: string }[];
    };
    const payloadB = JSON.parse(b.body) as { object_attributes: { id: number } };
    expect(payloadA.object_kind).toBe('pipeline');
    expect(payloadA.object_attributes.status).toBe('failed');
    expect(payloadA.builds.find((build) => build.status === 'failed')?.name).toBe('unit-tests');
    // A new pipeline each time, so the bridge notifies each time.
    expect(payloadA.object_attributes.id).not.toBe(payloadB.object_attributes.id);
  });

  it('signs like GitLab 18.x when given a signing key', async () => {
    const run = await cli({ GITLAB_WEBHOOK_TOKEN: TOKEN, GITLAB_SIGNING_KEY: SIGNING_KEY }, ['send-sample', 'push-closes', '--url', captureUrl, '--keep-ids']);
    expect(run.code).toBe(0);
    const last = captured.at(-1)!;
    expect(last.headers['webhook-id']).toBe(last.headers['idempotency-key']);
    const verified = new Webhook(SIGNING_KEY).verify(last.body, {
      'webhook-id': String(last.headers['webhook-id']),
      'webhook-timestamp': String(last.headers['webhook-timestamp']),
      'webhook-signature': String(last.headers['webhook-signature']),
    }) as { commits: { id: string; message: string }[] };
    expect(verified.commits[0]!.message).toContain('Closes ABC-1');
    // --keep-ids sends the stored SHA.
    expect(verified.commits[0]!.id).toBe('0b5f3c9d2e8a4f6b1c7d9e0a2b4c6d8e0f1a3b5c');
  });

  it('is accepted by the real receiver, and recorded with the token redacted', async () => {
    const run = await cli({}, ['send-sample', 'mr-merged', '--url', receiverUrl, '--token', TOKEN, '--project', 'acme/shop', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { status: number; deliveryId: string; idempotencyKey: string };
    expect(result.status).toBe(202);
    expect(result.deliveryId).toBe(result.idempotencyKey);
    const record = await new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName }).get(result.deliveryId);
    expect(record).toMatchObject({ event: 'Merge Request Hook', objectKind: 'merge_request', projectPath: 'acme/shop', ref: 'main', status: 'queued' });
    expect(record?.headers['x-gitlab-token']).toBe('[REDACTED]');
    expect(JSON.parse(record!.payload)).toMatchObject({
      object_attributes: { action: 'merge', state: 'merged', url: 'http://gitlab.example.com/acme/shop/-/merge_requests/16' },
    });
  });

  it('exits 4 when the bridge rejects the token', async () => {
    const run = await cli({}, ['send-sample', 'push', '--url', receiverUrl, '--token', 'wrong']);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/: 401 Unauthorized /);
    expect(run.stderr).toBe('gitlab-bridge: the bridge rejected the token; pass the token it prints at start (--token or GITLAB_WEBHOOK_TOKEN)\n');
  });

  it('asks for the token when sending to the local bridge without one', async () => {
    const run = await cli({}, ['send-sample', 'push']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe('gitlab-bridge: no webhook token; pass the token the local bridge printed at start with --token, or set GITLAB_WEBHOOK_TOKEN\n');
  });

  it('names --token, its own flag, when a non-local URL has no token and only local endpoints are set', async () => {
    const run = await cli({ AWS_ENDPOINT_URL_DYNAMODB: table.endpoint }, ['send-sample', 'push', '--url', 'https://bridge.example.invalid/webhooks/gitlab']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe('gitlab-bridge: no webhook token; pass the token the local bridge printed with --token, or set GITLAB_WEBHOOK_TOKEN\n');
  });

  it('refuses to send a token over plain http to another machine (exit 2, nothing sent)', async () => {
    const run = await cli({}, ['send-sample', 'push', '--url', 'http://bridge.example.invalid/webhooks/gitlab', '--token', 'a-real-token']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/must use https/);
    expect(run.stdout).toBe('');
  });

  it('prints the request with the token redacted on --dry-run, and rejects unknown kinds', async () => {
    const run = await cli({ GITLAB_WEBHOOK_TOKEN: TOKEN }, ['send-sample', 'mr-opened', '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as { url: string; headers: Record<string, string>; payload: { object_kind: string } };
    expect(shown.url).toBe('http://127.0.0.1:3000/webhooks/gitlab');
    expect(shown.headers['X-Gitlab-Token']).toBe('[REDACTED]');
    expect(run.stdout).not.toContain(TOKEN);
    expect(shown.payload.object_kind).toBe('merge_request');
    const unknown = await cli({}, ['send-sample', 'pipeline-exploded']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      "gitlab-bridge: command-argument value 'pipeline-exploded' is invalid for argument 'kind'. Allowed choices are pipeline-failed, pipeline-success, mr-opened, mr-merged, push, push-closes, push-smart-commit; add --help for usage\n",
    );
  });
});
