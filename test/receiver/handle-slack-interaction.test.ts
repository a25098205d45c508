import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { parseWebhookAuth } from '../../lib/gitlab/webhook-auth.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { encodeRetryValue } from '../../lib/slack/interaction.js';
import { signSlackRequest } from '../../lib/slack/verify-signature.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';

/**
 * The receiver's Slack route through its API Gateway handler (HTTP API payload v2), against
 * dynalite and local SQS: what it counts, records and queues.
 */
const SECRET = 'receiver-test-signing-secret';
const NOW = new Date('2026-11-30T12:00:00.000Z');
let table: Awaited<ReturnType<typeof startTestTable>>;
let sqs: LocalSqs;
let store: DynamoDbDeliveryStore;
const counted: string[] = [];
let handler: ReturnType<typeof createApiGatewayHandler>;

beforeAll(async () => {
  table = await startTestTable();
  sqs = await startTestQueues();
  store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
  handler = createApiGatewayHandler(
    {
      deliveries: store,
      queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
      auth: async () => parseWebhookAuth(JSON.stringify(['gitlab-token-unused-here'])),
      now: () => NOW,
      metrics: { count: (name) => counted.push(name) },
    },
    { signingSecrets: async () => [SECRET] },
  );
});

afterAll(async () => {
  await sqs.close();
  await table.close();
});

const value = encodeRetryValue({
  projectId: 7,
  projectPath: 'acme/app',
  projectKey: '7@acme/app',
  pipelineId: 9,
  round: '1',
  pipelineUrl: 'https://gitlab.example.com/acme/app/-/pipelines/9',
});
const body = new URLSearchParams({
  payload: JSON.stringify({
    type: 'block_actions',
    user: { id: 'U1', username: 'alice' },
    container: { message_ts: '1.2' },
    actions: [{ action_id: 'retry_pipeline', value }],
  }),
}).toString();

function event(headers: Record<string, string>, text = body) {
  return {
    version: '2.0',
    rawPath: '/slack/interactions',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    requestContext: { http: { method: 'POST' } },
    body: Buffer.from(text).toString('base64'),
    isBase64Encoded: true,
  } as never;
}
const seconds = Math.floor(NOW.getTime() / 1000);

describe('POST /slack/interactions', () => {
  it('counts an unverifiable click in SlackInteractionsRejected and answers 401', async () => {
    const response = await handler(event({ 'x-slack-request-timestamp': String(seconds), 'x-slack-signature': signSlackRequest('wrong', seconds, body) }));
    expect(response.statusCode).toBe(401);
    expect(counted).toEqual(['slackRejected']);
  });

  it('records a signed retry click as a slack_action delivery and queues it', async () => {
    const response = await handler(event({ 'x-slack-request-timestamp': String(seconds), 'x-slack-signature': signSlackRequest(SECRET, seconds, body) }));
    expect(response.statusCode).toBe(200);
    const page = await store.list({ limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ event: 'Slack Interaction', objectKind: 'slack_action', projectId: 7, projectPath: 'acme/app', status: 'queued' });
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, WaitTimeSeconds: 1 }));
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}')).toEqual({ v: 1, deliveryId: page.items[0]!.id });
  });

  it('answers 400 to a signed retry click whose value the bridge did not write', async () => {
    const forged = new URLSearchParams({
      payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'retry_pipeline', value: '{"p":"x"}' }] }),
    }).toString();
    const response = await handler(
      event({ 'x-slack-request-timestamp': String(seconds), 'x-slack-signature': signSlackRequest(SECRET, seconds, forged) }, forged),
    );
    expect(response.statusCode).toBe(400);
  });
});
