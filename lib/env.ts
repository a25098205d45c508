import { ConfigError } from './errors.js';

/**
 * Names of the environment variables the functions read. `cdk/` sets them and `functions/`
 * reads them, so both import the names from here.
 */
export const ENV = {
  /** DynamoDB table holding deliveries, effect keys and notifier state. */
  tableName: 'BRIDGE_TABLE_NAME',
  /** SQS queue URL the receiver hands deliveries to. */
  queueUrl: 'BRIDGE_QUEUE_URL',
  /** Secrets Manager secret id holding GitLab webhook tokens and signing keys (JSON, see lib/secrets). */
  gitlabSecretId: 'GITLAB_SECRET_ID',
  /** Secrets Manager secret id holding the Slack bot token. */
  slackSecretId: 'SLACK_SECRET_ID',
  /** Secrets Manager secret id holding Teams Workflows webhook URLs (JSON map name -> url). */
  teamsSecretId: 'TEAMS_SECRET_ID',
  /** Secrets Manager secret id holding Jira credentials (JSON). */
  jiraSecretId: 'JIRA_SECRET_ID',
  /** Secrets Manager secret id holding the GitLab API token the worker reads job logs and users with. */
  gitlabApiSecretId: 'GITLAB_API_SECRET_ID',
  /** Recovery: projects to scan (comma-separated paths or ids); unset: every project the token maintains with a bridge hook. */
  recoveryProjects: 'RECOVERY_PROJECTS',
  /** Recovery: `ingest` (default: record from GitLab's hook log) or `resend` (GitLab resends, 5 a minute per hook). */
  recoveryMode: 'RECOVERY_MODE',
  /** Secrets Manager secret id holding the Slack app's signing secret(s) (read by the receiver only). */
  slackSigningSecretId: 'SLACK_SIGNING_SECRET_ID',
  /** Path of the routing config file (bridge.config.json). */
  configPath: 'BRIDGE_CONFIG',
  /** Days a delivery record is kept before DynamoDB's TTL removes it. */
  retentionDays: 'BRIDGE_RETENTION_DAYS',
  /** Largest accepted webhook body in bytes. */
  maxBodyBytes: 'BRIDGE_MAX_BODY_BYTES',
  /**
   * What invokes the receiver: `api` (default, API Gateway routes the paths) or `functionUrl`
   * (every path arrives; the receiver routes them). lib/receiver/webhook-path.ts, WEBHOOK_ENDPOINTS.
   */
  webhookEndpoint: 'BRIDGE_WEBHOOK_ENDPOINT',
  /** Allowed clock skew for signed webhooks, in seconds. */
  signatureToleranceSeconds: 'BRIDGE_SIGNATURE_TOLERANCE_SECONDS',
  /** Attempts before SQS moves a delivery to the dead-letter queue (matches maxReceiveCount). */
  maxAttempts: 'BRIDGE_MAX_ATTEMPTS',
  // Local / zero-config variables (documented in README.md and docs/).
  gitlabWebhookToken: 'GITLAB_WEBHOOK_TOKEN',
  gitlabSigningKey: 'GITLAB_SIGNING_KEY',
  /** The GitLab secret's whole document (JSON text, or the path of a JSON file): per-project rules locally. */
  gitlabWebhookAuth: 'GITLAB_WEBHOOK_AUTH',
  slackBotToken: 'SLACK_BOT_TOKEN',
  slackChannel: 'SLACK_CHANNEL',
  slackApiUrl: 'SLACK_API_URL',
  /** Slack app signing secret(s) the receiver verifies `POST /slack/interactions` with (comma-separated during a rotation). */
  slackSigningSecret: 'SLACK_SIGNING_SECRET',
  teamsWebhookUrl: 'TEAMS_WEBHOOK_URL',
  jiraHost: 'JIRA_HOST',
  jiraEmail: 'JIRA_EMAIL',
  jiraApiToken: 'JIRA_API_TOKEN',
  jiraBearerToken: 'JIRA_BEARER_TOKEN',
  jiraProjectKeys: 'JIRA_PROJECT_KEYS',
  /** GitLab API token (project/group access token, `read_api`) the worker's notices read GitLab with. */
  gitlabApiToken: 'GITLAB_API_TOKEN',
  // The local bridge (`npm start`, lib/local/main.ts).
  /** HTTP port of the local bridge's webhook endpoint (default LOCAL_PORT). */
  localPort: 'PORT',
  /** Local DynamoDB port (default: PORT + 1). */
  localDynamoPort: 'DYNAMODB_PORT',
  /** Local SQS port (default: PORT + 2). */
  localSqsPort: 'SQS_PORT',
  /** Where the local bridge keeps its data (default `.bridge-data`). */
  localDataDir: 'BRIDGE_DATA_DIR',
  /** Batches the local worker processes at once (default 8; Lambda's maxConcurrency in AWS). */
  localWorkerConcurrency: 'LOCAL_WORKER_CONCURRENCY',
  // The CLI (cli/, which also reads several names above).
  /** Dead-letter queue URL, when not read from the stack. */
  dlqUrl: 'BRIDGE_DLQ_URL',
  /** The bridge's webhook URL, when not read from the stack. */
  webhookUrl: 'BRIDGE_WEBHOOK_URL',
  /** CloudFormation stack to read the table, queues and webhook URL from. */
  stackName: 'BRIDGE_STACK_NAME',
  /**
   * GitLab instance the CLI manages project webhooks on; also the instance the worker calls
   * GitLab's API on (when unset, the worker uses the origin of the event's project URL).
   */
  gitlabUrl: 'GITLAB_URL',
  /** GitLab access token of the CLI's gitlab commands. */
  gitlabToken: 'GITLAB_TOKEN',
  /** Any value: the CLI prints an error's stack trace too. */
  cliDebug: 'GITLAB_BRIDGE_DEBUG',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Reads a required variable; a missing one fails at cold start with its name in the message. */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(`Missing environment variable ${name}`);
  }
  return value;
}

/** Reads an optional positive integer variable, falling back to `fallback`. */
export function intEnv(name: EnvName, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}
