import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import { webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';
import { startHttpAdapter } from '../../lib/local/http-adapter.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { createNotifyPlanner } from '../../lib/notify/planner.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { createSqsBatchHandler } from '../../lib/worker/sqs-batch.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli, localEnv } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;
const TOKEN = 'e2e-webhook-token';
const MAX_ATTEMPTS = 2;
const VISIBILITY_SECONDS = 2;

/** A Teams Workflows webhook that is down (503) until told otherwise, then accepts cards (202). */
async function startTeamsWebhook() {
  const state = { up: false, attempts: 0, accepted: [] as unknown[] };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.attempts++;
      if (!state.up) {
        response.writeHead(503, { 'content-type': 'text/plain' });
        response.end('Service Unavailable');
        return;
      }
      state.accepted.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(202);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/workflows/ci?sig=secret-signature`, server };
}

describe('a delivery that failed while Teams was down, replayed once Teams is back', () => {
  let table: TestTable;
  let sqs: LocalSqs;
  let receiver: Server;
  let teams: Awaited<ReturnType<typeof startTeamsWebhook>>;
  let env: Record<string, string>;
  let worker: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  let store: DynamoDbDeliveryStore;
  let webhookUrl: string;
  let deliveryId: string;

  /** One poll of the worker's queue, as the Lambda event source mapping does it. */
  async function drainOnce(): Promise<number> {
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'] }));
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const event: SQSEvent = {
      Records: messages.map((message) => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
        },
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:e2e-queue',
        awsRegion: 'us-east-1',
      })),
    };
    const result = await worker(event);
    const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const message of messages) {
      if (!failed.has(message.MessageId!)) await sqs.client.send(new DeleteMessageCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    return messages.length;
  }

  /** Polls until the worker has handled one message (a failed one reappears after the visibility timeout). */
  async function workOne(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await drainOnce()) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no message reached the worker');
  }

  async function dlqDepth(): Promise<number> {
    const attributes = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: sqs.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
  }

  /*
   * The tests below are one story, in order. Run alone (-t), a test first plays the steps before
   * it (without their assertions); run in order, these find their step done and do nothing.
   */
  async function failedForGood(): Promise<void> {
    if (deliveryId) return;
    const sent = await cli(env, ['send-sample', 'pipeline-failed', '--url', webhookUrl, '--json']);
    deliveryId = (JSON.parse(sent.stdout) as { deliveryId: string }).deliveryId;
    await workOne();
    await workOne();
    for (let i = 0; i < 50 && (await dlqDepth()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  async function replayedOnceTeamsIsBack(): Promise<void> {
    if (teams.state.up) return;
    await failedForGood();
    teams.state.up = true;
    await cli(env, ['deliveries', 'replay', deliveryId]);
    await workOne();
    await cli(env, ['dlq', 'redrive']);
    await workOne();
    await cli(env, ['deliveries', 'replay', deliveryId]);
    await workOne();
  }

  beforeAll(async () => {
    table = await startTestTable('cli-e2e');
    sqs = await startTestQueues({ queueName: 'cli-e2e-queue', maxReceiveCount: MAX_ATTEMPTS, visibilityTimeoutSeconds: VISIBILITY_SECONDS });
    teams = await startTeamsWebhook();
    store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    const receiverHandler = createApiGatewayHandler({
      deliveries: store,
      queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
      auth: async () => webhookAuthFromEnv(TOKEN, undefined),
    });
    const adapter = await startHttpAdapter({ handler: receiverHandler, port: 0, host: '127.0.0.1', maxBodyBytes: DEFAULTS.maxBodyBytes, healthy: () => true });
    receiver = adapter.server;
    webhookUrl = `${adapter.url}${WEBHOOK_PATH}`;
    // The real worker and notify planner: failed pipelines on the default branch go to the Teams webhook "ci".
    const config = parseConfig({ routes: [{ name: 'ci alerts', events: ['pipeline'], teams: { webhook: 'ci' } }] });
    const credentials = {
      slackBotToken: async () => undefined,
      teamsWebhooks: async () => ({ ci: teams.url }),
      jira: async () => undefined,
      gitlabApiToken: async () => undefined,
    };
    worker = createSqsBatchHandler({
      deliveries: store,
      effects: new DynamoDbEffectLedger({ client: table.client, tableName: table.tableName }),
      state: new DynamoDbStateStore(table.client, table.tableName),
      planners: [createNotifyPlanner({ config, credentials })],
      maxAttempts: MAX_ATTEMPTS,
    });
    env = localEnv(
      { dynamo: table.endpoint, sqs: sqs.endpoint },
      { BRIDGE_TABLE_NAME: table.tableName, BRIDGE_QUEUE_URL: sqs.queueUrl, BRIDGE_DLQ_URL: sqs.dlqUrl, GITLAB_WEBHOOK_TOKEN: TOKEN },
    );
  });

  afterAll(async () => {
    for (const server of [receiver, teams?.server]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
    await sqs?.close();
    await table?.close();
  });

  it('fails for good while Teams answers 503, and shows as a server failure in the log and the DLQ', async () => {
    const sent = await cli(env, ['send-sample', 'pipeline-failed', '--url', webhookUrl, '--json']);
    expect(sent.code).toBe(0);
    deliveryId = (JSON.parse(sent.stdout) as { deliveryId: string }).deliveryId;

    await workOne();
    expect(await store.get(deliveryId)).toMatchObject({ status: 'processing', attempts: 1 });
    await workOne();
    const failed = await store.get(deliveryId);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
    expect(failed?.outcomes).toEqual([
      expect.objectContaining({ kind: 'teams', target: 'ci', status: 'failed', retryable: true, error: 'Teams webhook "ci" answered HTTP 503' }),
    ]);
    expect(teams.state.attempts).toBe(2);
    expect(teams.state.accepted).toHaveLength(0);
    // The delivery log never shows the webhook URL's signature.
    expect(JSON.stringify(failed)).not.toContain('secret-signature');

    const listed = await cli(env, ['deliveries', 'list', '--status', 'server_failure', '--json']);
    expect((JSON.parse(listed.stdout) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([deliveryId]);
    for (let i = 0; i < 50 && (await dlqDepth()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const dlq = await cli(env, ['dlq', 'list', '--json']);
    expect((JSON.parse(dlq.stdout) as { messages: { deliveryId: string }[] }).messages.map((message) => message.deliveryId)).toEqual([deliveryId]);
  });

  it('replays once Teams is back: the card is posted exactly once, however often it is replayed', async () => {
    await failedForGood();
    teams.state.up = true;
    const replay = await cli(env, ['deliveries', 'replay', deliveryId]);
    expect(replay.code).toBe(0);
    expect((await store.get(deliveryId))?.status).toBe('queued');
    await workOne();
    const done = await store.get(deliveryId);
    expect(done?.status).toBe('done');
    expect(done?.outcomes).toEqual([expect.objectContaining({ kind: 'teams', target: 'ci', status: 'sent' })]);
    expect(teams.state.accepted).toHaveLength(1);
    expect(JSON.stringify(teams.state.accepted[0])).toContain('unit-tests');

    // The DLQ copy, redriven, and another replay: the effect key holds, nothing is posted again.
    const redrive = await cli(env, ['dlq', 'redrive']);
    expect(redrive.stdout).toBe('Moved 1 delivery back to the queue; 0 left in place, 0 failed.\n');
    await workOne();
    expect((await cli(env, ['deliveries', 'replay', deliveryId])).code).toBe(0);
    await workOne();
    const again = await store.get(deliveryId);
    expect(again?.status).toBe('done');
    expect(again?.outcomes).toEqual([expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/^already sent at /) })]);
    expect(teams.state.accepted).toHaveLength(1);
    expect(teams.state.attempts).toBe(3);

    const show = await cli(env, ['deliveries', 'show', deliveryId]);
    expect(show.stdout).toMatch(/skipped\s+teams\s+ci\s+.+already sent at/);
  });

  it('re-posts only when asked with --force', async () => {
    await replayedOnceTeamsIsBack();
    const forced = await cli(env, ['deliveries', 'replay', deliveryId, '--force']);
    expect(forced.stdout).toContain('with --force (actions that already succeeded run again)');
    await workOne();
    expect(teams.state.accepted).toHaveLength(2);
    expect((await store.get(deliveryId))?.outcomes).toEqual([expect.objectContaining({ status: 'sent' })]);
  });
});
