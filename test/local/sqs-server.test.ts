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
