/**
 * Lambda entry: EventBridge schedule -> recovery. Every few minutes it lists the bridge hooks'
 * failed events in GitLab's hook event log and records the ones the bridge never got, through
 * the receiver's own ingest code (lib/receiver/ingest.ts); lib/recovery/ does the work. Then it
 * tells the config's `ops` route (Slack or Teams) about disabled or missing hooks and failures
 * found (lib/recovery/watch.ts), as the local bridge does.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { boundedAwsClientConfig, WORKER_AWS_CALLS } from '../lib/aws-call-bounds.js';
import { DEFAULTS } from '../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../lib/deliveries/dynamodb-store.js';
import { loadConfigFile } from '../lib/config/load.js';
import { ENV, intEnv, requireEnv } from '../lib/env.js';
import { gitlabInstanceRoot } from '../lib/gitlab/access.js';
import { emfMetrics, jsonLogger } from '../lib/observability.js';
import { configuredOutlets } from '../lib/notify/outlets.js';
import { SqsDeliveryQueue } from '../lib/queue/sqs-queue.js';
import { parseRecoveryMode, parseRecoveryProjects, runScheduledRecovery } from '../lib/recovery/scheduled.js';
import { sendOpsNotice, type OpsRoute } from '../lib/recovery/watch.js';
import { credentialsFromSecrets } from '../lib/secrets/credentials.js';
import { CachedSecretsManagerReader } from '../lib/secrets/secret-reader.js';
import { DynamoDbStateStore } from '../lib/state/dynamodb-state-store.js';

/** Resends stop this long before the function's timeout, so the run ends cleanly and the next one resumes. */
const SAFETY_MARGIN_MS = 30_000;

const tableName = requireEnv(ENV.tableName);
const queueUrl = requireEnv(ENV.queueUrl);
const gitlabApiSecretId = requireEnv(ENV.gitlabApiSecretId);
const mode = parseRecoveryMode(process.env[ENV.recoveryMode]);
const projects = parseRecoveryProjects(process.env[ENV.recoveryProjects]);
const root = gitlabInstanceRoot(process.env[ENV.gitlabUrl] || 'https://gitlab.com', ENV.gitlabUrl);
if (root.unavailable !== undefined) throw new Error(root.unavailable);
const aws = boundedAwsClientConfig(WORKER_AWS_CALLS);
const dynamo = new DynamoDBClient(aws);
const optional = (name: string) => process.env[name] || undefined;
const credentials = credentialsFromSecrets(new CachedSecretsManagerReader(new SecretsManagerClient(aws)), {
  gitlabApi: gitlabApiSecretId,
  slack: optional(ENV.slackSecretId),
  teams: optional(ENV.teamsSecretId),
});
const deliveries = new DynamoDbDeliveryStore({ client: dynamo, tableName });
const state = new DynamoDbStateStore(dynamo, tableName);
const queue = new SqsDeliveryQueue(new SQSClient(aws), queueUrl);
const retentionDays = intEnv(ENV.retentionDays, DEFAULTS.retentionDays);
const metrics = emfMetrics('recovery');
const log = jsonLogger('recovery');

/**
 * The ops route and the Slack API URL from the worker's config file, shipped beside this
 * function (cdk/bridge-stack.ts). A config that does not load only loses the notice: the scan,
 * its metrics and alarms go on (the worker fails on the same config with the file and key).
 */
function opsSettings(): { ops: OpsRoute | undefined; slackApiUrl: string | undefined } {
  const path = process.env[ENV.configPath];
  if (!path) return { ops: undefined, slackApiUrl: undefined };
  try {
    const config = loadConfigFile(path);
    return { ops: config.ops, slackApiUrl: config.slack?.apiUrl };
  } catch (error) {
    log.error('config not loaded: no ops notice will be sent', { error: (error as Error).message });
    return { ops: undefined, slackApiUrl: undefined };
  }
}
const { ops, slackApiUrl } = opsSettings();
// Without the Slack token or the Teams webhook the refusing outlet throws a ConfigError naming
// the secret, which sendOpsNotice returns and the handler logs.
const outlets = configuredOutlets(credentials, { slackApiUrl });

export async function handler(_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) {
  const token = await credentials.gitlabApiToken();
  if (!token) throw new Error(`no GitLab API token in the secret named by ${ENV.gitlabApiSecretId}: recovery needs one (docs/recovery.md)`);
  const remaining = context?.getRemainingTimeInMillis?.();
  let report;
  try {
    report = await runScheduledRecovery(
      { projects, mode, ...(remaining !== undefined ? { deadline: new Date(Date.now() + remaining - SAFETY_MARGIN_MS) } : {}) },
      { deliveries, queue, state, retentionDays, gitlab: { url: root.root!, token }, metrics, log },
    );
  } finally {
    // The scan's counts, buffered, as one line (lib/observability.ts); the deadline leaves time for it.
    metrics.flush();
  }
  // sendOpsNotice never throws: a notice that fails is logged, and the scan's result (and its
  // metrics, already emitted) stands.
  const notice = await sendOpsNotice(report, { ops, outlets, state });
  if (notice.error) log.warn('ops notice not sent', { error: notice.error });
  else if (notice.sent) log.info('ops notice sent', { lines: notice.lines.length });
  const { scanned, alreadyRecorded, recovered, resent, failed, pending } = report;
  return {
    scanned,
    alreadyRecorded,
    recovered,
    resent,
    failed,
    pending,
    hooks: report.hooks.map(({ project, hookId, state: hookState }) => ({ project, hookId, state: hookState })),
  };
}
