import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV, type EnvName } from '../lib/env.js';
import { DEFAULTS } from '../lib/defaults.js';
import { STACK_OUTPUTS, type StackOutputKey } from '../lib/stack-outputs.js';
import { BridgeFunction } from './constructs/bridge-function.js';
import { BridgeSecrets } from './constructs/bridge-secrets.js';
import { DeliveryQueue } from './constructs/delivery-queue.js';
import { DeliveryTable } from './constructs/delivery-table.js';
import { DigestSchedule } from './constructs/digest-schedule.js';
import { Monitoring } from './constructs/monitoring.js';
import { WebhookApi } from './constructs/webhook-api.js';
import { WebhookFunctionUrl } from './constructs/webhook-function-url.js';
import { FUNCTION_ENTRIES } from './paths.js';
import { DEFAULT_WORKER_MEMORY_MB, type BridgeSettings } from './settings.js';

export interface GitLabBridgeStackProps extends StackProps {
  settings: BridgeSettings;
}

/** File name of the routing config inside the worker's bundle. */
export const SHIPPED_CONFIG_NAME = 'bridge.config.json';

/**
 * Receiver: GitLab's webhook timeout is 10 s (GitLab docs, "Webhook timeout"), and the receiver
 * does one cached secret read, one PutItem and one SendMessage (tens of ms warm). 10 s lets a
 * cold start plus a slow AWS call finish; anything longer would answer after GitLab gave up.
 * 512 MB: Lambda allots CPU in proportion to memory, and cold-start module loading is CPU-bound.
 */
export const RECEIVER_TIMEOUT = Duration.seconds(10);
export const RECEIVER_MEMORY_MB = 512;

/**
 * Worker: a batch of up to WORKER_BATCH_SIZE deliveries, each a few calls to Slack, Teams and
 * Jira whose clients are bounded to about 10 s per call. 60 s covers a slow batch; a timed-out
 * batch returns to the queue and the effect ledger keeps finished actions from repeating.
 * The queue's visibility timeout is 6x this (cdk/constructs/delivery-queue.ts).
 */
export const WORKER_TIMEOUT = Duration.seconds(60);
/** The worker's default memory (`-c workerMemoryMb` changes it; the reason is in cdk/settings.ts). */
export const WORKER_MEMORY_MB = DEFAULT_WORKER_MEMORY_MB;
export const WORKER_BATCH_SIZE = DEFAULTS.workerBatchSize;

/**
 * Recovery: one scan lists the bridge hooks' failed events (a few bounded GitLab calls per
 * project) and, in resend mode, paces resends at 5 a minute per hook; it stops 30 s before this
 * and the next run resumes. 5 minutes stays under the default 10-minute schedule.
 */
export const RECOVERY_TIMEOUT = Duration.minutes(5);
export const RECOVERY_MEMORY_MB = 256;

/**
 * Quiet-hours digests: a run reads one state item per quiet destination and window and posts
 * the few that are due (a Slack or Teams call each, bounded to about 10 s). Every 5 minutes, so
 * a digest arrives within 5 minutes of its window's end.
 */
export const DIGEST_TIMEOUT = Duration.seconds(60);
export const DIGEST_MEMORY_MB = 256;
export const DIGEST_EVERY = Duration.minutes(5);

/** Function and access logs: a month covers incident review; the delivery log keeps the rest. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * The whole bridge: webhook API -> receiver -> DynamoDB + SQS -> worker -> Slack / Teams / Jira,
 * with secrets, alarms and a dashboard. Environment-agnostic (no account or region lookups),
 * so `cdk synth` runs offline without credentials.
 */
export class GitLabBridgeStack extends Stack {
  readonly table: DeliveryTable;
  readonly queues: DeliveryQueue;
  readonly secrets: BridgeSecrets;
  readonly receiver: BridgeFunction;
  readonly worker: BridgeFunction;
  readonly recovery: BridgeFunction;
  readonly recoverySchedule: Rule;

  readonly digest: BridgeFunction;
  readonly digestSchedule: DigestSchedule;
  /** The HTTP API (`-c endpoint=api`, the default); absent with a function URL. */
  readonly webhookApi: WebhookApi | undefined;
  /** The receiver's function URL (`-c endpoint=functionUrl`); absent with the HTTP API. */
  readonly webhookFunctionUrl: WebhookFunctionUrl | undefined;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: GitLabBridgeStackProps) {
    super(scope, id, {
      description: 'gitlab-bridge: GitLab webhooks to Slack, Microsoft Teams and Jira',
      ...props,
    });
    const { settings } = props;
    const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new DeliveryTable(this, 'Deliveries', { retainData: settings.retainData });
    this.queues = new DeliveryQueue(this, 'Handoff', {
      workerTimeout: WORKER_TIMEOUT,
      maxReceiveCount: settings.maxAttempts,
      retainData: settings.retainData,
    });
    this.secrets = new BridgeSecrets(this, 'Secrets', { retainData: settings.retainData });

    const receiverEnv: Partial<Record<EnvName, string>> = { [ENV.retentionDays]: String(settings.retentionDays) };
    // Behind a function URL every path reaches the receiver, which then routes them itself.
    if (settings.endpoint === 'functionUrl') receiverEnv[ENV.webhookEndpoint] = settings.endpoint;
    if (settings.maxBodyBytes !== undefined) receiverEnv[ENV.maxBodyBytes] = String(settings.maxBodyBytes);
    this.receiver = new BridgeFunction(this, 'Receiver', {
      entry: FUNCTION_ENTRIES.receiver,
      description: 'gitlab-bridge receiver: verifies GitLab webhooks, records them, queues them',
      timeout: RECEIVER_TIMEOUT,
      memorySize: RECEIVER_MEMORY_MB,
      logRetention: LOG_RETENTION,
      removalPolicy,
      environment: receiverEnv,
      // Reserved so a webhook flood can neither starve the worker and the account's other
      // functions nor be starved by them (cdk/settings.ts, readReceiverReservedConcurrency).
      ...(settings.receiverReservedConcurrency !== undefined ? { reservedConcurrentExecutions: settings.receiverReservedConcurrency } : {}),
    });
    this.receiver.bindTable(ENV.tableName, this.table.table, ['PutItem', 'GetItem']);
    this.receiver.bindQueueSender(ENV.queueUrl, this.queues.queue);
    this.receiver.bindSecret(ENV.gitlabSecretId, this.secrets.gitlab);
    // Only the receiver verifies Slack's button clicks; the worker never reads the signing secret.
    this.receiver.bindSecret(ENV.slackSigningSecretId, this.secrets.slackSigning);

    const workerEnv: Partial<Record<EnvName, string>> = { [ENV.maxAttempts]: String(settings.maxAttempts) };
    if (settings.routingConfigPath) workerEnv[ENV.configPath] = BridgeFunction.deployedPath(SHIPPED_CONFIG_NAME);
    if (settings.zeroConfig.slackChannel) workerEnv[ENV.slackChannel] = settings.zeroConfig.slackChannel;
    if (settings.zeroConfig.jiraHost) workerEnv[ENV.jiraHost] = settings.zeroConfig.jiraHost;
    if (settings.zeroConfig.jiraProjectKeys) workerEnv[ENV.jiraProjectKeys] = settings.zeroConfig.jiraProjectKeys;
    if (settings.gitlabUrl) workerEnv[ENV.gitlabUrl] = settings.gitlabUrl;
    this.worker = new BridgeFunction(this, 'Worker', {
      entry: FUNCTION_ENTRIES.worker,
      description: 'gitlab-bridge worker: turns queued deliveries into Slack, Teams and Jira actions',
      timeout: WORKER_TIMEOUT,
      memorySize: settings.workerMemoryMb,
      logRetention: LOG_RETENTION,
      removalPolicy,
      environment: workerEnv,
      extraFiles: settings.routingConfigPath ? [{ source: settings.routingConfigPath, name: SHIPPED_CONFIG_NAME }] : [],
    });
    // Deliveries, effect keys and notifier state are items of the same table.
    this.worker.bindTable(ENV.tableName, this.table.table, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
    this.worker.bindSecret(ENV.slackSecretId, this.secrets.slack);
    this.worker.bindSecret(ENV.teamsSecretId, this.secrets.teams);
    this.worker.bindSecret(ENV.jiraSecretId, this.secrets.jira);
    // Only the worker calls GitLab's API (job logs, users for its notices); the receiver never does.
    this.worker.bindSecret(ENV.gitlabApiSecretId, this.secrets.gitlabApi);
    // maxConcurrency caps parallel workers without reserving account concurrency (a reservation
    // fails to deploy in new accounts whose whole limit is 10). It is what bounds the request
    // rate into Slack (about 1 message per second per channel) and Jira's per-user limits.
    this.worker.bindQueueConsumer(ENV.queueUrl, this.queues.queue, {
      batchSize: WORKER_BATCH_SIZE,
      maxConcurrency: settings.workerMaxConcurrency,
    });

    // Recovery (docs/recovery.md): records what GitLab failed to deliver, from its hook event
    // log, through the receiver's ingest code, and tells the config's ops route what it found.
    // Its own grants: write the table, send to the queue, read the GitLab API token and the
    // Slack and Teams secrets (the ops notice); nothing else.
    const recoveryEnv: Partial<Record<EnvName, string>> = {
      [ENV.retentionDays]: String(settings.retentionDays),
      [ENV.recoveryMode]: settings.recovery.mode,
    };
    if (workerEnv[ENV.configPath]) recoveryEnv[ENV.configPath] = workerEnv[ENV.configPath];
    if (settings.gitlabUrl) recoveryEnv[ENV.gitlabUrl] = settings.gitlabUrl;
    if (settings.recovery.projects) recoveryEnv[ENV.recoveryProjects] = settings.recovery.projects;
    this.recovery = new BridgeFunction(this, 'Recovery', {
      entry: FUNCTION_ENTRIES.recovery,
      description: 'gitlab-bridge recovery: records deliveries GitLab failed to make, from its hook event log',
      timeout: RECOVERY_TIMEOUT,
      memorySize: RECOVERY_MEMORY_MB,
      logRetention: LOG_RETENTION,
      removalPolicy,
      // No reserved concurrency (new accounts cannot spare it): scans do not overlap because
      // the timeout (5 min) is at most the shortest schedule (-c recoveryInterval, 5 min or more).
      environment: recoveryEnv,
      extraFiles: settings.routingConfigPath ? [{ source: settings.routingConfigPath, name: SHIPPED_CONFIG_NAME }] : [],
    });
    this.recovery.bindTable(ENV.tableName, this.table.table, ['GetItem', 'PutItem']);
    this.recovery.bindQueueSender(ENV.queueUrl, this.queues.queue);
    this.recovery.bindSecret(ENV.gitlabApiSecretId, this.secrets.gitlabApi);
    this.recovery.bindSecret(ENV.slackSecretId, this.secrets.slack);
    this.recovery.bindSecret(ENV.teamsSecretId, this.secrets.teams);
    this.recoverySchedule = new Rule(this, 'RecoverySchedule', {
      description: `gitlab-bridge: scan GitLab's hook event log every ${settings.recovery.intervalMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(settings.recovery.intervalMinutes)),
      targets: [new LambdaFunction(this.recovery.function, { retryAttempts: 0 })],
    });

    // The same config as the worker (quietHours are route options); it only reads and writes
    // digest items (state items, with their locks) and posts to Slack and Teams.
    const digestEnv: Partial<Record<EnvName, string>> = {};
    if (workerEnv[ENV.configPath]) digestEnv[ENV.configPath] = workerEnv[ENV.configPath];
    this.digest = new BridgeFunction(this, 'Digest', {
      entry: FUNCTION_ENTRIES.digest,
      description: 'gitlab-bridge digest: posts quiet-hours digests when their window ends',
      timeout: DIGEST_TIMEOUT,
      memorySize: DIGEST_MEMORY_MB,
      logRetention: LOG_RETENTION,
      removalPolicy,
      environment: digestEnv,
      extraFiles: settings.routingConfigPath ? [{ source: settings.routingConfigPath, name: SHIPPED_CONFIG_NAME }] : [],
    });
    this.digest.bindTable(ENV.tableName, this.table.table, ['GetItem', 'PutItem', 'DeleteItem']);
    this.digest.bindSecret(ENV.slackSecretId, this.secrets.slack);
    this.digest.bindSecret(ENV.teamsSecretId, this.secrets.teams);
    this.digestSchedule = new DigestSchedule(this, 'DigestSchedule', { target: this.digest.function, every: DIGEST_EVERY });

    // One endpoint or the other (docs/deploy.md, "Endpoint"); the outputs keep their names.
    const endpoint =
      settings.endpoint === 'functionUrl'
        ? new WebhookFunctionUrl(this, 'WebhookFunctionUrl', { receiver: this.receiver.function })
        : new WebhookApi(this, 'Webhook', {
            receiver: this.receiver.function,
            rateLimit: settings.apiRateLimit,
            burstLimit: settings.apiBurstLimit,
            logRetention: LOG_RETENTION,
            removalPolicy,
          });
    this.webhookApi = endpoint instanceof WebhookApi ? endpoint : undefined;
    this.webhookFunctionUrl = endpoint instanceof WebhookFunctionUrl ? endpoint : undefined;

    this.monitoring = new Monitoring(this, 'Monitoring', {
      endpoint: endpoint.endpointMetrics(),
      receiver: this.receiver.function,
      worker: this.worker.function,
      recovery: this.recovery.function,
      recoveryLogGroup: this.recovery.logGroup,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });

    const output = (key: StackOutputKey, value: string, description: string) => {
      new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
    };
    output(STACK_OUTPUTS.webhookUrl, endpoint.webhookUrl, 'Paste into GitLab: Settings > Webhooks > URL');
    output(STACK_OUTPUTS.gitlabSecretName, this.secrets.names.gitlab, 'Secret holding the GitLab webhook token (Settings > Webhooks > Secret token)');
    output(STACK_OUTPUTS.slackSecretName, this.secrets.names.slack, 'Secret to put the Slack bot token in');
    output(STACK_OUTPUTS.teamsSecretName, this.secrets.names.teams, 'Secret to put the Teams webhook URLs in');
    output(STACK_OUTPUTS.jiraSecretName, this.secrets.names.jira, 'Secret to put the Jira credentials in');
    output(STACK_OUTPUTS.gitlabApiSecretName, this.secrets.names.gitlabApi, 'Secret to put the GitLab API token (read_api; api for the Retry button) in');
    output(
      STACK_OUTPUTS.slackInteractionsUrl,
      endpoint.slackInteractionsUrl,
      'Slack app: Interactivity & Shortcuts > Request URL (docs/slack-app-manifest.yaml)',
    );
    output(STACK_OUTPUTS.slackSigningSecretName, this.secrets.names.slackSigning, "Secret to put the Slack app's signing secret in");
    output(STACK_OUTPUTS.tableName, this.table.table.tableName, 'DynamoDB table with the delivery log');
    output(STACK_OUTPUTS.queueUrl, this.queues.queue.queueUrl, 'Queue between receiver and worker');
    output(STACK_OUTPUTS.queueName, this.queues.queue.queueName, 'Queue between receiver and worker');
    output(STACK_OUTPUTS.deadLetterQueueUrl, this.queues.deadLetterQueue.queueUrl, 'Deliveries that exhausted their attempts');
    output(STACK_OUTPUTS.deadLetterQueueName, this.queues.deadLetterQueue.queueName, 'Deliveries that exhausted their attempts');
    output(STACK_OUTPUTS.receiverFunctionName, this.receiver.function.functionName, 'Receiver Lambda');
    output(STACK_OUTPUTS.workerFunctionName, this.worker.function.functionName, 'Worker Lambda');
    output(STACK_OUTPUTS.alarmTopicArn, this.monitoring.topic.topicArn, 'SNS topic the alarms notify; subscribe to it');
    output(STACK_OUTPUTS.dashboardName, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
