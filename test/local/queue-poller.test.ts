import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_WORKER_CONCURRENCY, parseLocalWorkerConcurrency, startQueuePoller } from '../../lib/local/queue-poller.js';
import { startLocalSqs, type LocalSqs } from '../../lib/local/sqs-server.js';

let sqs: LocalSqs | undefined;
afterEach(async () => {
  await sqs?.close();
  sqs = undefined;
});

async function sendMany(local: LocalSqs, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body }));
    await local.client.send(new SendMessageBatchCommand({ QueueUrl: local.queueUrl, Entries: entries }));
  }
}

async function depth(local: LocalSqs): Promise<number> {
  const attributes = await local.client.send(
    new GetQueueAttributesCommand({ QueueUrl: local.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('the local queue poller (Lambda SQS event source stand-in)', () => {
  it('runs up to `concurrency` batches at once, never more, each batch of at most `batchSize` in queue order, and deletes what succeeded', async () => {
    sqs = await startLocalSqs({ queueName: 'poller-concurrency' });
    const bodies = Array.from({ length: 24 }, (_, i) => `m${i}`);
    await sendMany(sqs, bodies);
    let active = 0;
    let mostActive = 0;
    const seen: string[] = [];
    const batchSizes: number[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      active += 1;
      mostActive = Math.max(mostActive, active);
      batchSizes.push(event.Records.length);
      await new Promise((resolve) => setTimeout(resolve, 150));
      seen.push(...event.Records.map((record) => record.body));
      active -= 1;
      return { batchItemFailures: [] };
    };
    const poller = startQueuePoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
      handler,
      concurrency: 3,
      batchSize: 2,
    });
    try {
      for (let i = 0; i < 100 && seen.length < bodies.length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await poller.stop();
    }
    expect([...seen].sort()).toEqual([...bodies].sort());
    expect(mostActive).toBe(3);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(2);
    expect(await depth(sqs)).toBe(0);
  });

  it('leaves a batch item the handler reports as failed on the queue', async () => {
    sqs = await startLocalSqs({ queueName: 'poller-failures', visibilityTimeoutSeconds: 30 });
    await sendMany(sqs, ['ok', 'fail']);
    const handled: string[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      handled.push(...event.Records.map((record) => record.body));
      return { batchItemFailures: event.Records.filter((record) => record.body === 'fail').map((record) => ({ itemIdentifier: record.messageId })) };
    };
    const poller = startQueuePoller({ client: sqs.client, queueUrl: sqs.queueUrl, queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', handler });
    try {
      for (let i = 0; i < 100 && handled.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await poller.stop();
    }
    expect(handled.sort()).toEqual(['fail', 'ok']);
    // local-aws-sqs counts an in-flight message in both figures; the failed one is the only one left.
    const left = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(left.Attributes).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1' });
  });

  it('idle, hands a delivery to the worker as soon as it is queued, not when its long poll ends', async () => {
    sqs = await startLocalSqs({ queueName: 'poller-idle' });
    let handledAt: number | undefined;
    const handler = async (): Promise<SQSBatchResponse> => {
      handledAt ??= performance.now();
      return { batchItemFailures: [] };
    };
    const poller = startQueuePoller({ client: sqs.client, queueUrl: sqs.queueUrl, queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', handler, waitSeconds: 10 });
    let sentAt = 0;
    try {
      // The poller's long poll is open on an empty queue when the delivery lands.
      await new Promise((resolve) => setTimeout(resolve, 200));
      sentAt = performance.now();
      await sendMany(sqs, ['lone']);
      for (let i = 0; i < 250 && handledAt === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await poller.stop();
    }
    expect(handledAt).toBeDefined();
    // Far inside the 10 s poll (margins for a loaded machine): it was answered by the send, not the wait.
    expect(handledAt! - sentAt).toBeLessThan(4000);
  });

  it.each([
    [undefined, DEFAULT_LOCAL_WORKER_CONCURRENCY],
    ['', DEFAULT_LOCAL_WORKER_CONCURRENCY],
    ['1', 1],
    [' 16 ', 16],
  ])('reads LOCAL_WORKER_CONCURRENCY %j as %d', (value, expected) => {
    expect(parseLocalWorkerConcurrency(value)).toBe(expected);
  });

  it.each(['0', '-2', '1.5', 'eight', '65'])('refuses LOCAL_WORKER_CONCURRENCY %j, naming the variable', (value) => {
    expect(() => parseLocalWorkerConcurrency(value)).toThrow(/LOCAL_WORKER_CONCURRENCY must be a whole number from 1 to 64/);
  });
});
