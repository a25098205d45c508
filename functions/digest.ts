/**
 * Lambda entry: EventBridge schedule -> quiet-hours digests. Every few minutes it posts the
 * digest of each quiet window that ended (lib/notify/digest.ts, flushDueDigests), once. Builds
 * the config, credentials and state store once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boundedAwsClientConfig, WORKER_AWS_CALLS } from '../lib/aws-call-bounds.js';
import { resolveConfig } from '../lib/config/resolve.js';
import { ENV, requireEnv } from '../lib/env.js';
import { digestFlusher } from '../lib/notify/digest.js';
import { jsonLogger } from '../lib/observability.js';
import { credentialsFromSecrets } from '../lib/secrets/credentials.js';
import { CachedSecretsManagerReader } from '../lib/secrets/secret-reader.js';
import { DynamoDbStateStore } from '../lib/state/dynamodb-state-store.js';

const tableName = requireEnv(ENV.tableName);
const aws = boundedAwsClientConfig(WORKER_AWS_CALLS);
const log = jsonLogger('digest');
// A bad config fails here, at cold start, with the file and key in the message.
const config = resolveConfig();
const secrets = new CachedSecretsManagerReader(new SecretsManagerClient(aws));
const optional = (name: string) => process.env[name] || undefined;
const credentials = credentialsFromSecrets(secrets, { slack: optional(ENV.slackSecretId), teams: optional(ENV.teamsSecretId) });
const flush = digestFlusher({ config, credentials, state: new DynamoDbStateStore(new DynamoDBClient(aws), tableName), log });

export async function handler(): Promise<{ posted: number }> {
  const posted = flush ? await flush(new Date()) : 0;
  if (posted > 0) log.info('quiet-hours digests posted', { posted });
  return { posted };
}
