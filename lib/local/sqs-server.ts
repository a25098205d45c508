import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSqsServer } from 'local-aws-sqs';
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
  const server: Server = await createSqsServer({ port: options.port ?? 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  // createSqsServer resolves once listening; no request can be dispatched before this
  // synchronous swap, since request events need a turn of the event loop.
  guardAgainstBrowsers(server, { checkHost: true });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ ...LOCAL_AWS, endpoint });
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
  return {
    endpoint,
    client,
    queueUrl: queue.QueueUrl,
    dlqUrl: dlq.QueueUrl,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
