import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEFAULTS } from '../defaults.js';
import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import { LOCAL_AWS } from './names.js';

/** The event Lambda's SQS event source would build from received messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  const region = queueArn.split(':')[3] || LOCAL_AWS.region;
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: message.Attributes?.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

/** Batches the local worker runs at once when LOCAL_WORKER_CONCURRENCY is not set. */
export const DEFAULT_LOCAL_WORKER_CONCURRENCY = 8;
/** Highest accepted LOCAL_WORKER_CONCURRENCY: local-aws-sqs and dynalite share one process. */
export const MAX_LOCAL_WORKER_CONCURRENCY = 64;

/**
 * The local stand-in for Lambda's SQS event source: long-polls the queue, hands batches to
 * the worker's batch handler, and deletes the messages the handler did not report as failed.
 * Failed ones reappear after the visibility timeout and, past maxReceiveCount, move to the
 * dead-letter queue — the same life a message has in AWS.
 *
 * Like the event source with `maxConcurrency`, up to `concurrency` batches of up to `batchSize`
 * messages run at once, each batch in order (the batch handler takes its records one at a
 * time). A standard queue orders nothing across batches, in AWS or here: two events of one merge
 * request or ref in different batches may run together, and the planners' state reservations
 * (lib/state) are what keep a thread's parent message single. Idle, one long poll is open at a
 * time: lib/local/sqs-server.ts makes local-aws-sqs answer it as soon as a message is sent, as
 * AWS does (the package alone waits for a full batch or the end of the wait), so nothing waits on an
 * interval.
 */
export function startQueuePoller(options: {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  onError?: (error: Error) => void;
  waitSeconds?: number;
  /** Batches processed at once (Lambda's maxConcurrency); default DEFAULT_LOCAL_WORKER_CONCURRENCY. */
  concurrency?: number;
  /** Messages per batch (the event source's batchSize); default DEFAULTS.workerBatchSize. */
  batchSize?: number;
}): { stop(): Promise<void> } {
  let running = true;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_LOCAL_WORKER_CONCURRENCY));
  const batchSize = Math.min(10, Math.max(1, Math.floor(options.batchSize ?? DEFAULTS.workerBatchSize)));
  const inFlight = new Set<Promise<void>>();

  const runBatch = async (messages: Message[]): Promise<void> => {
    try {
      const event = toSqsEvent(messages, options.queueArn);
      const result = await options.handler(event);
      const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
      if (done.length > 0) {
        await options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle ?? '' })),
          }),
        );
      }
    } catch (error) {
      // The messages stay on the queue and come back after their visibility timeout.
      if (running) options.onError?.(error as Error);
    }
  };

  const loop = (async () => {
    while (running) {
      // Every slot busy: wait for a batch to finish before taking more off the queue, so
      // received messages do not sit out their visibility timeout in memory.
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      try {
        const received = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: options.waitSeconds ?? 1,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0 || !running) continue;
        const batch = runBatch(messages).finally(() => inFlight.delete(batch));
        inFlight.add(batch);
      } catch (error) {
        if (!running) break;
        options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await Promise.all(inFlight);
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * LOCAL_WORKER_CONCURRENCY: a whole number from 1 to MAX_LOCAL_WORKER_CONCURRENCY, or unset for
 * the default. Anything else is a ConfigError naming the variable.
 */
export function parseLocalWorkerConcurrency(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_LOCAL_WORKER_CONCURRENCY;
  const parsed = Number(value.trim());
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_LOCAL_WORKER_CONCURRENCY) {
    throw new ConfigError(`${ENV.localWorkerConcurrency} must be a whole number from 1 to ${MAX_LOCAL_WORKER_CONCURRENCY}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}
