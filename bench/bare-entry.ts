// Bundle entry for the bare baseline: constructs the same clients at import, as the receiver does.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createBareReceiver } from './bare-receiver.js';

new SecretsManagerClient({});
export const handler = createBareReceiver({ dynamo: new DynamoDBClient({}), sqs: new SQSClient({}), tableName: 't', queueUrl: 'q' });
