import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSqs, type LocalSqs } from '../../lib/local/sqs-server.js';

let sqs: LocalSqs | undefined;
afterEach(async () => {
  await sqs?.close();
  sqs = undefined;
});

async function receiveOne(local: LocalSqs, queueUrl: string, waitSeconds = 5) {
  const received = await local.client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: waitSeconds,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return received.Messages?.[0];
}

describe('local SQS (local-aws-sqs behind lib/local/sqs-server.ts)', () => {
  it('does not count a ChangeMessageVisibility as a receive, as AWS does not: a Retry-After costs one attempt', async () => {
    sqs = await startLocalSqs({ maxReceiveCount: 5, visibilityTimeoutSeconds: 30, queueName: 'visibility-count' });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: '{"v":1,"deliveryId":"d1"}' }));
    const first = await receiveOne(sqs, sqs.queueUrl);
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    // How the worker applies a downstream's Retry-After (lib/queue/sqs-queue.ts SqsVisibility).
    await sqs.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 1 }));
    expect(await receiveOne(sqs, sqs.queueUrl, 0)).toBeUndefined();
    const second = await receiveOne(sqs, sqs.queueUrl);
    expect(second?.Body).toBe('{"v":1,"deliveryId":"d1"}');
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(first?.Attributes?.ApproximateFirstReceiveTimestamp);
  });

  it('answers a long poll for a batch as soon as one message is sent, as AWS does, not when the batch is full or the wait is over', async () => {
    sqs = await startLocalSqs({ queueName: 'long-poll-first' });
    const local = sqs;
    const start = performance.now();
    const polling = local.client.send(new ReceiveMessageCommand({ QueueUrl: local.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 10 }));
    // The poll is open and waiting on an empty queue when the message lands.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await local.client.send(new SendMessageCommand({ QueueUrl: local.queueUrl, MessageBody: 'lone' }));
    const received = await polling;
    expect(received.Messages?.map((message) => message.Body)).toEqual(['lone']);
    // Far inside the 10 s wait (margins for a loaded machine): the send answered it.
    expect(performance.now() - start).toBeLessThan(5000);
    // Still a long poll: on an empty queue it waits out WaitTimeSeconds, then answers with nothing.
    const emptyStart = performance.now();
    const empty = await local.client.send(new ReceiveMessageCommand({ QueueUrl: local.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(empty.Messages ?? []).toEqual([]);
    expect(performance.now() - emptyStart).toBeGreaterThanOrEqual(950);
  });

  it('answers a long poll with a message whose visibility timeout ends while it waits', async () => {
    sqs = await startLocalSqs({ queueName: 'long-poll-visible-again', visibilityTimeoutSeconds: 1 });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'again' }));
    const first = await receiveOne(sqs, sqs.queueUrl);
    expect(first?.Body).toBe('again');
    const start = performance.now();
    const second = await receiveOne(sqs, sqs.queueUrl, 10);
    expect(second?.Body).toBe('again');
    // Back after its 1 s timeout, well before the 10 s wait ends.
    expect(performance.now() - start).toBeLessThan(6000);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives, delayed ones included, not before', async () => {
    sqs = await startLocalSqs({ maxReceiveCount: 2, visibilityTimeoutSeconds: 1, queueName: 'visibility-dlq' });
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'm' }));
    const first = await receiveOne(sqs, sqs.queueUrl);
    await sqs.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 1 }));
    // Counting the visibility change as a receive would dead-letter the message here.
    const second = await receiveOne(sqs, sqs.queueUrl);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    const dead = await receiveOne(sqs, sqs.dlqUrl);
    expect(dead?.Body).toBe('m');
  });
});
