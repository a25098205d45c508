import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_QUEUE_NAME, LOCAL_TABLE_NAME } from '../../lib/local/names.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli, localEnv, outcome, seed } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;

async function queueDepth(sqs: LocalSqs, url: string): Promise<number> {
  const attributes = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
}

describe("dlq list / redrive against local SQS, with the local bridge's default names", () => {
  let table: TestTable;
  let sqs: LocalSqs;
  let store: DynamoDbDeliveryStore;
  let env: Record<string, string>;
  let first: string;
  let second: string;

  beforeAll(async () => {
    // The local bridge's names: the CLI finds them from the loopback endpoints alone.
    table = await startTestTable(LOCAL_TABLE_NAME);
    sqs = await startTestQueues({ queueName: LOCAL_QUEUE_NAME, maxReceiveCount: 1, visibilityTimeoutSeconds: 1 });
    store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    env = localEnv({ dynamo: table.endpoint, sqs: sqs.endpoint });
    const failure = [outcome({ status: 'failed', error: 'Teams answered 503', retryable: true, attempts: 1 })];
    first = (await seed(store, 'failed', { projectPath: 'acme/api' }, failure, 'gave up after 1 attempts: Teams answered 503')).id;
    second = (await seed(store, 'failed', {}, failure, 'gave up after 1 attempts: Teams answered 503')).id;
    // Dead-letter them the way SQS does: received maxReceiveCount times without being deleted.
    for (const body of [{ v: 1, deliveryId: first }, { v: 1, deliveryId: second }, 'not a bridge message']) {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }));
    }
    let received = 0;
    while (received < 3) {
      const result = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      received += result.Messages?.length ?? 0;
    }
    for (let i = 0; i < 100 && (await queueDepth(sqs, sqs.dlqUrl)) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await queueDepth(sqs, sqs.dlqUrl)).toBe(3);
  });

  afterAll(async () => {
    await sqs?.close();
    await table?.close();
  });

  it('lists dead-lettered deliveries with their records, without consuming them', async () => {
    const run = await cli(env, ['dlq', 'list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DELIVERY ID\s+FIRST SENT \(UTC\)\s+EVENT\s+PROJECT\s+STATUS\s+NOTE$/);
    expect(lines.find((line) => line.startsWith(first))).toMatch(/pipeline\s+acme\/api\s+failed\s+gave up after 1 attempts: Teams answered 503/);
    expect(lines.find((line) => line.startsWith(second))).toMatch(/pipeline\s+flightjs\/flight-management\s+failed/);
    expect(lines.some((line) => line.startsWith('(not a bridge message:'))).toBe(true);
    expect(lines.at(-1)).toBe('3 messages in the dead-letter queue. Move them back with `gitlab-bridge dlq redrive`.');
    // Listing again shows the same three: the first read made them visible again.
    const json = await cli(env, ['dlq', 'list', '--json']);
    const messages = (JSON.parse(json.stdout) as { messages: { deliveryId: string | null; delivery: { status: string } | null }[] }).messages;
    expect(messages.map((message) => message.deliveryId).sort()).toEqual([first, second, null].sort());
    expect(messages.find((message) => message.deliveryId === first)?.delivery?.status).toBe('failed');
    expect(await queueDepth(sqs, sqs.dlqUrl)).toBe(3);
  });

  it('still lists the messages when the delivery table cannot be read', async () => {
    const run = await cli({ ...env, BRIDGE_TABLE_NAME: 'no-such-table' }, ['dlq', 'list']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'note: delivery details unavailable (DynamoDB table no-such-table does not exist; check --table / --queue-url / --dlq-url, or --stack and AWS_REGION)\n',
    );
    expect(run.stdout).toContain(first);
    expect(run.stdout).toContain('3 messages in the dead-letter queue.');
  });

  it('redrives one delivery: replay message on the main queue, record queued, gone from the DLQ', async () => {
    const run = await cli(env, ['dlq', 'redrive', first]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Moved 1 delivery back to the queue; 0 left in place, 0 failed.\n');
    expect((await store.get(first))?.status).toBe('queued');
    expect((await store.get(second))?.status).toBe('failed');
    // This queue dead-letters after one receive and 1 s: hold the message long enough to delete it.
    const main = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    expect(main.Messages?.map((message) => JSON.parse(message.Body ?? ''))).toEqual([{ v: 1, deliveryId: first, replay: true }]);
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: main.Messages![0]!.ReceiptHandle }));
    const left = JSON.parse((await cli(env, ['dlq', 'list', '--json'])).stdout) as { messages: { deliveryId: string | null }[] };
    expect(left.messages.map((message) => message.deliveryId).sort()).toEqual([second, null].sort());
  });

  it('redrives the rest and leaves what is not a bridge delivery', async () => {
    // "The rest": the test above moved `first` back; run alone (-t), this does. After it, `first`
    // is no longer in the DLQ and this is a no-op (exit 3).
    await cli(env, ['dlq', 'redrive', first]);
    const run = await cli(env, ['dlq', 'redrive', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { moved: string[]; left: { deliveryId: string | null; reason: string }[] };
    expect(report.moved).toEqual([second]);
    expect(report.left).toEqual([expect.objectContaining({ deliveryId: null, reason: 'not a bridge delivery message' })]);
    expect(await queueDepth(sqs, sqs.dlqUrl)).toBe(1);
  });

  it('says which ids were not in the DLQ (exit 3)', async () => {
    const run = await cli(env, ['dlq', 'redrive', 'not-dead-lettered']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('left not-dead-lettered: not in the dead-letter queue');
  });

  it('tells the user to start the local bridge when the local endpoint is down', async () => {
    const run = await cli(localEnv({ dynamo: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9' }), ['dlq', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^gitlab-bridge: cannot reach local SQS queue gitlab-bridge-deliveries-dlq at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); is the local bridge running \(npm start\)\?/,
    );
  });
});
