import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { parseQueueMessage, type QueueMessage } from '../lib/queue/queue.js';
import { awsErrorToCliError } from './aws-errors.js';
import type { CliContext } from './context.js';
import { isLoopbackUrl } from './local-defaults.js';

/** SQS returns at most 10 messages per ReceiveMessage. */
const SQS_MAX_BATCH = 10;
/**
 * How long read messages stay hidden while the CLI pages through the queue: long enough that
 * the next ReceiveMessage returns other messages, short enough that a crashed CLI does not
 * hide the DLQ for long. They are made visible again (timeout 0) as soon as the read is over.
 */
const PEEK_VISIBILITY_SECONDS = 60;

export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** The parsed bridge message; absent when the body is not one. */
  message?: QueueMessage;
  /** When the message was first sent (SQS SentTimestamp, kept when dead-lettered). */
  sentAt?: string;
  receiveCount?: number;
}

export interface DlqReader {
  client: SQSClient;
  dlqUrl: string;
  /** Long-poll seconds per receive: 1 on AWS (short polls can miss messages), 0 locally. */
  waitSeconds: number;
}

/** Reads up to `limit` messages from the DLQ and keeps them hidden until released or deleted. */
export async function readDeadLetters(reader: DlqReader, limit: number): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  while (out.length < limit) {
    const result = await reader.client.send(
      new ReceiveMessageCommand({
        QueueUrl: reader.dlqUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_BATCH, limit - out.length),
        VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
        WaitTimeSeconds: reader.waitSeconds,
        // local-aws-sqs reads the older AttributeNames; AWS reads both.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = result.Messages ?? [];
    if (messages.length === 0) break;
    out.push(...messages.map(toDeadLetter));
  }
  return out;
}

function toDeadLetter(message: Message): DeadLetter {
  const body = message.Body ?? '';
  let parsed: QueueMessage | undefined;
  try {
    parsed = parseQueueMessage(body);
  } catch {
    parsed = undefined;
  }
  const sent = Number(message.Attributes?.SentTimestamp);
  const receives = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    ...(parsed ? { message: parsed } : {}),
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(Number.isFinite(receives) ? { receiveCount: receives } : {}),
  };
}

/** Makes read-but-not-moved messages visible again at once. */
export async function releaseDeadLetters(reader: DlqReader, letters: readonly DeadLetter[]): Promise<void> {
  for (let i = 0; i < letters.length; i += SQS_MAX_BATCH) {
    const batch = letters.slice(i, i + SQS_MAX_BATCH);
    await reader.client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: reader.dlqUrl,
        Entries: batch.map((letter, index) => ({ Id: `m${index}`, ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/** The DLQ reader for `dlqUrl`, on the context's SQS client. */
export function dlqReader(context: CliContext, dlqUrl: string): DlqReader {
  const endpoint = context.env.AWS_ENDPOINT_URL_SQS || context.env.AWS_ENDPOINT_URL;
  return { client: context.aws.sqs(), dlqUrl, waitSeconds: isLoopbackUrl(endpoint) ? 0 : 1 };
}

/** Runs an SQS call on the DLQ, its AWS errors turned into one-line CLI errors. */
export async function withSqsErrors<T>(context: CliContext, dlqUrl: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const endpoint = context.env.AWS_ENDPOINT_URL_SQS || context.env.AWS_ENDPOINT_URL;
    throw awsErrorToCliError(error, { resource: `SQS dead-letter queue ${dlqUrl}`, ...(endpoint ? { endpoint } : {}) });
  }
}
