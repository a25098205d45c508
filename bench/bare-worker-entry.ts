// Bundle entry for the worker's bare baseline: the clients the worker calls, constructed at
// import as a hand-written worker would (DynamoDB, Secrets Manager, SQS, Slack, Jira).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { WebClient } from '@slack/web-api';
import { createCloudClient } from 'jira.js';

export const clients = [
  new DynamoDBClient({}),
  new SecretsManagerClient({}),
  new SQSClient({}),
  new WebClient('xoxb-bare'),
  createCloudClient({ host: 'https://bare.atlassian.net', auth: { type: 'basic', email: 'bare@example.com', apiToken: 't' } }),
];
