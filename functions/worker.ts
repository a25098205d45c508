/**
 * Lambda entry: SQS -> worker. Builds the stores, config, credentials and planners once per
 * container; lib/worker/ does the work and answers with a partial batch response.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { boundedAwsClientConfig, WORKER_AWS_CALLS } from '../lib/aws-call-bounds.js';
import { resolveConfig } from '../lib/config/resolve.js';
import { DEFAULTS } from '../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../lib/deliveries/dynamodb-store.js';
import { DynamoDbEffectLedger } from '../lib/effects/dynamodb-ledger.js';
import { ENV, intEnv, requireEnv } from '../lib/env.js';
import { createGitLabAccess } from '../lib/gitlab/access.js';
import { gitlabClientFactory } from '../lib/gitlab/api-client.js';
import { emfMetrics, jsonLogger } from '../lib/observability.js';
import { SqsVisibility } from '../lib/queue/sqs-queue.js';
import { credentialsFromSecrets } from '../lib/secrets/credentials.js';
import { CachedSecretsManagerReader } from '../lib/secrets/secret-reader.js';
import { DynamoDbStateStore } from '../lib/state/dynamodb-state-store.js';
import { createPlanners } from './planners.js';
import { createSqsBatchHandler } from '../lib/worker/sqs-batch.js';

const tableName = requireEnv(ENV.tableName);
const queueUrl = requireEnv(ENV.queueUrl);
const aws = boundedAwsClientConfig(WORKER_AWS_CALLS);
const dynamo = new DynamoDBClient(aws);
const log = jsonLogger('worker');
// A bad config fails here, at cold start, with the file and key in the message.
const config = resolveConfig();
const secrets = new CachedSecretsManagerReader(new SecretsManagerClient(aws));
const optional = (name: string) => process.env[name] || undefined;
const credentials = credentialsFromSecrets(secrets, {
  slack: optional(ENV.slackSecretId),
  teams: optional(ENV.teamsSecretId),
  jira: optional(ENV.jiraSecretId),
  gitlabApi: optional(ENV.gitlabApiSecretId),
});
// Job logs and users for the notices; without a token the notices go out without them.
const gitlab = createGitLabAccess({ credentials, gitlabUrl: optional(ENV.gitlabUrl), client: gitlabClientFactory });

export const handler = createSqsBatchHandler(
  {
    deliveries: new DynamoDbDeliveryStore({ client: dynamo, tableName }),
    effects: new DynamoDbEffectLedger({ client: dynamo, tableName }),
    state: new DynamoDbStateStore(dynamo, tableName),
    planners: createPlanners({ config, credentials, log, gitlab }),
    maxAttempts: intEnv(ENV.maxAttempts, DEFAULTS.maxAttempts),
    log,
    metrics: emfMetrics('worker'),
  },
  new SqsVisibility(new SQSClient(aws), queueUrl),
);
