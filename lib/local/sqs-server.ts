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
  const server: Server = await createSqsServer({ port, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  // createSqsServer resolves once listening; no request can be dispatched before this
  // synchronous swap, since request events need a turn of the event loop.
  guardAgainstBrowsers(server, { checkHost: true });
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
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
