/**
 * The baseline the receiver is measured against: the same three AWS clients doing the least a
 * webhook receiver can do (parse, one PutItem, one SendMessage). Bundled and imported by
 * bench/receiver.bench.ts; never deployed.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export function createBareReceiver(options: { dynamo: DynamoDBClient; sqs: SQSClient; tableName: string; queueUrl: string }) {
  return async (body: string, id: string): Promise<number> => {
    const payload = JSON.parse(body) as Record<string, unknown>;
    await options.dynamo.send(
      new PutItemCommand({ TableName: options.tableName, Item: { pk: { S: `D#${id}` }, payload: { S: body }, kind: { S: String(payload.object_kind) } } }),
    );
    await options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify({ v: 1, deliveryId: id }) }));
    return 202;
  };
}

// Referenced so the bundle carries the Secrets Manager client like the receiver does.
export const bareClients = { DynamoDBClient, SQSClient, SecretsManagerClient, GetSecretValueCommand };
