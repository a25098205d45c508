/**
 * Lambda entry: API Gateway (or a function URL, -c endpoint=functionUrl) -> receiver. Dependencies are built once per container and reused
 * across invocations; the work happens in lib/receiver/handle-webhook.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { boundedAwsClientConfig, RECEIVER_AWS_CALLS } from '../lib/aws-call-bounds.js';
import { DEFAULTS } from '../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../lib/deliveries/dynamodb-store.js';
import { ENV, intEnv, requireEnv } from '../lib/env.js';
import { ConfigError } from '../lib/errors.js';
import { parseWebhookAuth } from '../lib/gitlab/webhook-auth.js';
import { emfMetrics, jsonLogger } from '../lib/observability.js';
import { SqsDeliveryQueue } from '../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../lib/receiver/api-gateway.js';
import { WEBHOOK_ENDPOINTS, type WebhookEndpoint } from '../lib/receiver/webhook-path.js';
import { CachedSecretsManagerReader } from '../lib/secrets/secret-reader.js';
import { parseSigningSecrets } from '../lib/slack/verify-signature.js';

const tableName = requireEnv(ENV.tableName);
const queueUrl = requireEnv(ENV.queueUrl);
const gitlabSecretId = requireEnv(ENV.gitlabSecretId);
// Optional: without a Slack app, POST /slack/interactions answers 401.
const slackSigningSecretId = process.env[ENV.slackSigningSecretId] || undefined;
const endpoint = (process.env[ENV.webhookEndpoint] || 'api') as WebhookEndpoint;
if (!WEBHOOK_ENDPOINTS.includes(endpoint)) throw new ConfigError(`${ENV.webhookEndpoint}: "${endpoint}" is not one of ${WEBHOOK_ENDPOINTS.join(', ')}`);
const aws = boundedAwsClientConfig(RECEIVER_AWS_CALLS);
const secrets = new CachedSecretsManagerReader(new SecretsManagerClient(aws));

export const handler = createApiGatewayHandler(
  {
    deliveries: new DynamoDbDeliveryStore({ client: new DynamoDBClient(aws), tableName }),
    queue: new SqsDeliveryQueue(new SQSClient(aws), queueUrl),
    auth: async () => parseWebhookAuth(await secrets.read(gitlabSecretId)),
    retentionDays: intEnv(ENV.retentionDays, DEFAULTS.retentionDays),
    maxBodyBytes: intEnv(ENV.maxBodyBytes, DEFAULTS.maxBodyBytes),
    signatureToleranceSeconds: intEnv(ENV.signatureToleranceSeconds, DEFAULTS.signatureToleranceSeconds),
    metrics: emfMetrics('receiver'),
    log: jsonLogger('receiver'),
  },
  { signingSecrets: async () => (slackSigningSecretId ? parseSigningSecrets(await secrets.read(slackSigningSecretId)) : []) },
  { endpoint },
);
