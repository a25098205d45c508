import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from 'local-aws-sqs';
import { DEFAULTS } from '../defaults.js';
import { LOCAL_AWS, LOCAL_QUEUE_NAME } from './names.js';
import { guardAgainstBrowsers } from './loopback-guard.js';

/** An SQS served by local-aws-sqs on loopback, with the bridge's queue and dead-letter queue. */
export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  queueUrl: string;
  dlqUrl: string;
  close(): Promise<void>;
}

/**
 * Starts local-aws-sqs on loopback with the bridge's queues. It accepts form-encoded POSTs,
 * which any web page can send without a CORS preflight, so browser requests, preflights and
 * foreign Host names get 403 in front of it (lib/local/loopback-guard.ts).
 */
export async function startLocalSqs(
  options: { port?: number; maxReceiveCount?: number; visibilityTimeoutSeconds?: number; queueName?: string } = {},
): Promise<LocalSqs> {
  const { server, endpoint } = await startSqsServer(options.port ?? 0);
  const client = new SQSClient({ ...LOCAL_AWS, endpoint });
  const { queueUrl, dlqUrl } = await createBridgeQueues(client, options);
  return {
    endpoint,
    client,
    queueUrl,
    dlqUrl,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** local-aws-sqs on loopback with no queues yet, behind the browser guard (see startLocalSqs). */
export async function startSqsServer(port = 0): Promise<{ server: Server; endpoint: string }> {
  const { service, requestHandler } = createRequestHandler({ port, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const server = createServer((request, response) => {
    // Queues appear through CreateQueue; each is patched once, before any request can reach it.
    for (const queue of service.Queues) {
      keepReceiveCountOnVisibilityChange(queue as unknown as EmulatedQueue);
      answerLongPollOnFirstMessage(queue as unknown as EmulatedQueue);
    }
    void requestHandler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  service.PORT = (server.address() as AddressInfo).port;
  // No request can be dispatched before this synchronous swap: request events need a turn of
  // the event loop.
  guardAgainstBrowsers(server, { checkHost: true });
  return { server, endpoint: `http://127.0.0.1:${service.PORT}` };
}

/** The parts of a local-aws-sqs queue (lib/queue.d.ts in the package) the patch below uses. */
interface EmulatedQueue {
  receive(options: unknown): Promise<EmulatedRecord[]>;
  delete(receiptHandle: string): boolean;
  changeVisibility(receiptHandle: string, visibilityTimeout: string): boolean;
  setRecord(input: { MessageBody: string; MessageAttributes?: unknown; DelaySeconds?: number }, messageId?: string): { record: EmulatedRecord } | undefined;
  getAttributes(names: string[]): Record<string, string>;
  ReceiveMessageWaitTimeSeconds?: number;
  [PATCHED]?: true;
  [LONG_POLL_PATCHED]?: true;
}
interface EmulatedRecord {
  MessageId: string;
  ReceiptHandle: string;
  MessageBody: string;
  MessageAttributes?: unknown;
  attributes: Record<string, string>;
}
const PATCHED = Symbol('keepReceiveCountOnVisibilityChange');
const LONG_POLL_PATCHED = Symbol('answerLongPollOnFirstMessage');

/**
 * How often a waiting long poll looks again for messages that became visible on a timer (a
 * visibility timeout or a delay ending), which local-aws-sqs sets without a signal. New messages
 * wake it at once; a retry is seconds away anyway, so 50 ms late is nothing.
 */
const LONG_POLL_RECHECK_MS = 50;

/**
 * local-aws-sqs answers a long poll (WaitTimeSeconds > 0) only when it has MaxNumberOfMessages
 * messages or the wait is over, so the local worker, asking for a batch of 10, left a lone
 * delivery waiting out its whole 1 s poll (issue 15: end-to-end median 1121 ms against ~60 ms of
 * work). AWS answers as soon as any message is available. Emulated here: the poll sleeps until a
 * message is sent (a signal from setRecord, no interval), then takes what is ready, up to its
 * MaxNumberOfMessages, through the package's own receive (which marks them in flight). Short polls
 * (WaitTimeSeconds 0) go to the package unchanged.
 */
function answerLongPollOnFirstMessage(queue: EmulatedQueue): void {
  if (queue[LONG_POLL_PATCHED]) return;
  queue[LONG_POLL_PATCHED] = true;
  const waiters = new Set<() => void>();
  const setRecord = queue.setRecord.bind(queue);
  queue.setRecord = (input, messageId) => {
    const entry = setRecord(input, messageId);
    // The package marks every new message delayed until a timer of DelaySeconds (0 included)
    // fires; a timer set after it fires after it, when the message can be received.
    if (waiters.size > 0) setTimeout(() => waiters.forEach((wake) => wake()), 0).unref();
    return entry;
  };
  const receive = queue.receive.bind(queue);
  const ready = (): number => {
    const attributes = queue.getAttributes(['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
    return Math.max(0, Number(attributes.ApproximateNumberOfMessages) - Number(attributes.ApproximateNumberOfMessagesNotVisible));
  };
  const nextMessage = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      waiters.add(done);
    });
  queue.receive = async (options) => {
    const { WaitTimeSeconds, MaxNumberOfMessages } = (options ?? {}) as { WaitTimeSeconds?: unknown; MaxNumberOfMessages?: unknown };
    const waitSeconds = Number(WaitTimeSeconds ?? queue.ReceiveMessageWaitTimeSeconds ?? 0);
    if (!(waitSeconds > 0)) return receive(options);
    const max = Number(MaxNumberOfMessages ?? 1) || 1;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const available = ready();
      if (available > 0) {
        const records = await receive({ ...(options as object), WaitTimeSeconds: 0, MaxNumberOfMessages: Math.min(max, available) });
        if (records.length > 0) return records;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await nextMessage(Math.min(LONG_POLL_RECHECK_MS, left));
    }
  };
}

/**
 * local-aws-sqs counts a ChangeMessageVisibility as a receive (it raises
 * ApproximateReceiveCount, which also brings the dead-letter move nearer); AWS counts only
 * ReceiveMessage. The worker applies a downstream's Retry-After with that call, so locally a
 * Slack 429 cost two of the five attempts. On a standard queue the change is emulated here as
 * "take the message out and put it back, invisible for the timeout" with its receive count and
 * first-receive time kept: the same life the message has in AWS.
 */
function keepReceiveCountOnVisibilityChange(queue: EmulatedQueue): void {
  if (queue[PATCHED]) return;
  queue[PATCHED] = true;
  const inFlight = new Map<string, EmulatedRecord>();
  const receive = queue.receive.bind(queue);
  const remove = queue.delete.bind(queue);
  const changeVisibility = queue.changeVisibility.bind(queue);
  queue.receive = async (options) => {
    const records = await receive(options);
    for (const record of records) inFlight.set(record.ReceiptHandle, record);
    return records;
  };
  queue.delete = (receiptHandle) => {
    inFlight.delete(receiptHandle);
    return remove(receiptHandle);
  };
  queue.changeVisibility = (receiptHandle, visibilityTimeout) => {
    const record = inFlight.get(receiptHandle);
    const seconds = Number(visibilityTimeout);
    if (!record || (queue as unknown as { FifoQueue?: boolean }).FifoQueue || !Number.isFinite(seconds)) {
      return changeVisibility(receiptHandle, visibilityTimeout);
    }
    inFlight.delete(receiptHandle);
    remove(receiptHandle);
    const entry = queue.setRecord(
      { MessageBody: record.MessageBody, ...(record.MessageAttributes ? { MessageAttributes: record.MessageAttributes } : {}), DelaySeconds: seconds },
      record.MessageId,
    );
    if (entry) {
      // With no delay the message is visible now, as in AWS (the package would mark it delayed
      // until its next timer tick, so a listing right after the change would miss it).
      if (seconds <= 0) (entry as { delayed?: boolean }).delayed = false;
      entry.record.attributes.ApproximateReceiveCount = record.attributes.ApproximateReceiveCount ?? '1';
      if (record.attributes.ApproximateFirstReceiveTimestamp)
        entry.record.attributes.ApproximateFirstReceiveTimestamp = record.attributes.ApproximateFirstReceiveTimestamp;
      if (record.attributes.SentTimestamp) entry.record.attributes.SentTimestamp = record.attributes.SentTimestamp;
    }
    return true;
  };
}

/** The bridge's queue and its dead-letter queue (redrive after `maxReceiveCount` receives). */
export async function createBridgeQueues(
  client: SQSClient,
  options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number; queueName?: string } = {},
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const name = options.queueName ?? LOCAL_QUEUE_NAME;
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqAttributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? DEFAULTS.maxAttempts,
        }),
      },
    }),
  );
  if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error('local SQS did not return queue URLs');
  return { queueUrl: queue.QueueUrl, dlqUrl: dlq.QueueUrl };
}
