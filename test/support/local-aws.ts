import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { ensureBridgeTable } from '../../lib/local/create-table.js';
import type { LocalDynamo } from '../../lib/local/dynalite-server.js';
import { LOCAL_AWS } from '../../lib/local/names.js';
import { createBridgeQueues, type LocalSqs } from '../../lib/local/sqs-server.js';

/**
 * A name no other test file uses: every file shares the run's one dynalite and one local SQS
 * (test/support/global-setup.ts), and vitest runs files side by side.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The bridge table in the run's dynalite, dropped again by `close()`. Without a name it gets a
 * unique one; a test gives a name only when the code under test must find it by that name.
 */
export async function startTestTable(tableName = uniqueName('gitlab-bridge-test')): Promise<LocalDynamo & { tableName: string }> {
  const endpoint = inject('dynamoEndpoint');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureBridgeTable(client, tableName);
  return {
    endpoint,
    client,
    tableName,
    close: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}

/**
 * The bridge's queue and dead-letter queue in the run's local SQS, deleted again by `close()`.
 * Without a name they get a unique one (see startTestTable).
 */
export async function startTestQueues(options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number; queueName?: string } = {}): Promise<LocalSqs> {
  const endpoint = inject('sqsEndpoint');
  const client = new SQSClient({ ...LOCAL_AWS, endpoint });
  const { queueUrl, dlqUrl } = await createBridgeQueues(client, { ...options, queueName: options.queueName ?? uniqueName('gitlab-bridge-test') });
  return {
    endpoint,
    client,
    queueUrl,
    dlqUrl,
    close: async () => {
      await Promise.all([queueUrl, dlqUrl].map((QueueUrl) => client.send(new DeleteQueueCommand({ QueueUrl }))));
      client.destroy();
    },
  };
}
