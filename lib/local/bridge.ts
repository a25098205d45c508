import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import { DEFAULTS } from '../defaults.js';
import { DynamoDbDeliveryStore } from '../deliveries/dynamodb-store.js';
import { DynamoDbEffectLedger } from '../effects/dynamodb-ledger.js';
import { createGitLabAccess } from '../gitlab/access.js';
import type { GitLabApi } from '../gitlab/api.js';
import { gitlabClientFactory } from '../gitlab/api-client.js';
import { webhookAuthFromEnv, type WebhookAuth } from '../gitlab/webhook-auth.js';
import { configuredOutlets } from '../notify/outlets.js';
import { SqsDeliveryQueue, SqsVisibility } from '../queue/sqs-queue.js';
import type { RecoveryReport } from '../recovery/recover.js';
import { runScheduledRecovery } from '../recovery/scheduled.js';
import { sendOpsNotice } from '../recovery/watch.js';
import { createApiGatewayHandler } from '../receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../receiver/webhook-path.js';
import type { Credentials } from '../secrets/credentials.js';
import { digestFlusher } from '../notify/digest.js';
import { DynamoDbStateStore } from '../state/dynamodb-state-store.js';
import { createPlanners } from '../../functions/planners.js';
import type { BridgeLogger } from '../logger.js';
import { createSqsBatchHandler } from '../worker/sqs-batch.js';
import { ensureBridgeTable } from './create-table.js';
import { startDynalite } from './dynalite-server.js';
import { startHttpAdapter } from './http-adapter.js';
import { startQueuePoller } from './queue-poller.js';
import { LOCAL_QUEUE_NAME, LOCAL_TABLE_NAME } from './names.js';
import { startLocalSqs } from './sqs-server.js';

export interface LocalBridgeOptions {
  host?: string;
  /** HTTP port of the webhook endpoint; 0 picks a free one. */
  port: number;
  /** DynamoDB and SQS ports; 0 picks free ones. */
  dynamoPort?: number;
  sqsPort?: number;
  /** Where dynalite keeps its data; absent: in memory. */
  dataDir?: string;
  /** Valid webhook tokens; when empty (and no `auth`) one is generated (and kept in dataDir). */
  tokens: string[];
  signingKeys?: string[];
  /** The whole GitLab secret document (GITLAB_WEBHOOK_AUTH); when given, `tokens` and `signingKeys` are not used. */
  auth?: WebhookAuth;
  config: BridgeConfig;
  credentials: Credentials;
  /** GITLAB_URL: the GitLab instance the worker's notices read from (else the project's web_url origin). */
  gitlabUrl?: string;
  /** Builds a GitLab API client for an instance root and token (default: the bridge's own client). */
  gitlabClient?: (root: string, token: string) => GitLabApi;
  /** Where notifiers print what they would send without credentials. */
  print: (text: string) => void;
  log: BridgeLogger;
  maxAttempts?: number;
  /**
   * Scan GitLab's hook event log on a timer and recover what GitLab failed to deliver
   * (docs/recovery.md); set by `npm start` when GITLAB_API_TOKEN is. Projects, mode, re-enable
   * and the ops route come from the config's `recovery` and `ops`.
   */
  recovery?: { gitlabUrl: string; token: string; intervalMs: number; initialDelayMs?: number; fetch?: typeof fetch };
  /** Seconds a failed delivery waits before the next attempt. */
  retryDelaySeconds?: number;
  /** Batches the worker processes at once (LOCAL_WORKER_CONCURRENCY); default DEFAULT_LOCAL_WORKER_CONCURRENCY. */
  workerConcurrency?: number;
  /** How often the quiet-hours digests are checked (routes with `quietHours` only); default 60 s. */
  digestIntervalMs?: number;
  /** SLACK_SIGNING_SECRET: the Slack app's signing secret(s) for `POST /slack/interactions`; none: clicks are refused (401). */
  slackSigningSecrets?: string[];
}

export interface LocalBridge {
  url: string;
  webhookUrl: string;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  tokens: string[];
  tokenGenerated: boolean;
  /** Deliveries found `queued`/`processing` at start and put back on the queue. */
  requeued: number;
  /** Runs one recovery scan now (undefined when recovery is off); the timer runs the same. */
  recoverNow(): Promise<RecoveryReport | undefined>;
  stop(): Promise<void>;
}

function loadOrCreateToken(dataDir: string | undefined): string {
  const file = dataDir ? join(dataDir, 'webhook-token') : undefined;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  if (file) writeFileSync(file, token, { mode: 0o600 });
  return token;
}

/**
 * The whole bridge in one process: the same receiver and worker handlers as in AWS, with
 * dynalite for DynamoDB, local-aws-sqs for the queue and dead-letter queue, and a local HTTP
 * server for API Gateway.
 */
export async function startLocalBridge(options: LocalBridgeOptions): Promise<LocalBridge> {
  const host = options.host ?? '127.0.0.1';
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const dynamo = await startDynalite({ ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}), port: options.dynamoPort ?? 0, host });
  await ensureBridgeTable(dynamo.client, LOCAL_TABLE_NAME);
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  const sqs = await startLocalSqs({
    port: options.sqsPort ?? 0,
    maxReceiveCount: maxAttempts,
    visibilityTimeoutSeconds: options.retryDelaySeconds ?? 10,
    queueName: LOCAL_QUEUE_NAME,
  });

  let tokenGenerated = false;
  let tokens = options.auth?.tokens ?? options.tokens;
  if (!options.auth && tokens.length === 0) {
    tokens = [loadOrCreateToken(options.dataDir)];
    tokenGenerated = true;
  }
  const auth = options.auth ?? webhookAuthFromEnv(tokens.join(','), (options.signingKeys ?? []).join(','));
  const deliveries = new DynamoDbDeliveryStore({ client: dynamo.client, tableName: LOCAL_TABLE_NAME });
  const queue = new SqsDeliveryQueue(sqs.client, sqs.queueUrl);
  const signingSecrets = options.slackSigningSecrets ?? [];
  const receiver = createApiGatewayHandler({ deliveries, queue, auth: async () => auth, log: options.log }, { signingSecrets: async () => signingSecrets });
  const state = new DynamoDbStateStore(dynamo.client, LOCAL_TABLE_NAME);
  const worker = createSqsBatchHandler(
    {
      deliveries,
      effects: new DynamoDbEffectLedger({ client: dynamo.client, tableName: LOCAL_TABLE_NAME }),
      state,
      planners: createPlanners({
        config: options.config,
        credentials: options.credentials,
        print: options.print,
        log: options.log,
        gitlab: createGitLabAccess({
          credentials: options.credentials,
          gitlabUrl: options.gitlabUrl,
          client: options.gitlabClient ?? gitlabClientFactory,
          // A GitLab on this machine may be found from its payloads' web_url; any other needs GITLAB_URL.
          allowLoopbackProject: true,
        }),
      }),
      maxAttempts,
      log: options.log,
    },
    new SqsVisibility(sqs.client, sqs.queueUrl),
  );
  const arn = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['QueueArn'] }));
  const poller = startQueuePoller({
    client: sqs.client,
    queueUrl: sqs.queueUrl,
    queueArn: arn.Attributes?.QueueArn ?? '',
    handler: worker,
    ...(options.workerConcurrency !== undefined ? { concurrency: options.workerConcurrency } : {}),
    onError: (error) => options.log.error('queue poll failed', { error: error.message }),
  });

  // The local queue lives in memory: after a restart, put back what was not finished, so a
  // restart loses nothing (the worker's effect keys make a repeat harmless).
  let requeued = 0;
  for (let before: string | undefined; ;) {
    const page = await deliveries.list({ statuses: ['queued', 'processing'], limit: 100, ...(before ? { before } : {}) });
    for (const delivery of page.items) {
      await queue.send({ v: 1, deliveryId: delivery.id });
      requeued++;
    }
    if (!page.nextBefore) break;
    before = page.nextBefore;
  }

  // Recovery on a timer (docs/recovery.md): one scan at a time, never failing the bridge.
  const recoveryOptions = options.recovery;
  const recoveryConfig = options.config.recovery;
  const opsOutlets = configuredOutlets(options.credentials, { slackApiUrl: options.config.slack?.apiUrl, print: options.print });
  let scanning: Promise<RecoveryReport | undefined> | undefined;
  const recoverNow = (): Promise<RecoveryReport | undefined> => {
    if (!recoveryOptions) return Promise.resolve(undefined);
    scanning ??= (async () => {
      try {
        const report = await runScheduledRecovery(
          {
            projects: (recoveryConfig?.projects ?? []).map(String),
            mode: recoveryConfig?.mode ?? 'ingest',
            ...(recoveryConfig?.reenable ? { reenable: true } : {}),
          },
          {
            deliveries,
            queue,
            state,
            gitlab: { url: recoveryOptions.gitlabUrl, token: recoveryOptions.token, ...(recoveryOptions.fetch ? { fetch: recoveryOptions.fetch } : {}) },
            log: options.log,
          },
        );
        const ops = await sendOpsNotice(report, { ops: options.config.ops, outlets: opsOutlets, state });
        if (ops.error) options.log.warn('ops notice not sent', { error: ops.error });
        return report;
      } catch (error) {
        options.log.warn('recovery scan failed', { error: (error as Error).message });
        return undefined;
      } finally {
        scanning = undefined;
      }
    })();
    return scanning;
  };
  const timers: NodeJS.Timeout[] = [];
  if (recoveryOptions) {
    timers.push(setTimeout(() => void recoverNow(), recoveryOptions.initialDelayMs ?? 5_000).unref());
    timers.push(setInterval(() => void recoverNow(), recoveryOptions.intervalMs).unref());
  }
  // Quiet-hours digests go out when their window ends: the bridge's own timer (the scheduled
  // Lambda in AWS). One check at a time; a failed check is logged and the next one tries again.
  const flush = digestFlusher({ config: options.config, credentials: options.credentials, state, print: options.print, log: options.log });
  let flushing: Promise<unknown> | undefined;
  const digestTimer = flush
    ? setInterval(() => {
        flushing ??= flush(new Date())
          .catch((error: Error) => options.log.error('quiet-hours digest check failed', { error: error.message }))
          .finally(() => (flushing = undefined));
      }, options.digestIntervalMs ?? 60_000)
    : undefined;
  digestTimer?.unref();

  let healthy = true;
  const http = await startHttpAdapter({ handler: receiver, port: options.port, host, maxBodyBytes: DEFAULTS.maxBodyBytes, healthy: () => healthy });
  return {
    url: http.url,
    webhookUrl: `${http.url}${WEBHOOK_PATH}`,
    dynamoEndpoint: dynamo.endpoint,
    sqsEndpoint: sqs.endpoint,
    tableName: LOCAL_TABLE_NAME,
    queueUrl: sqs.queueUrl,
    dlqUrl: sqs.dlqUrl,
    tokens,
    tokenGenerated,
    requeued,
    recoverNow,
    // In order, so nothing touches local SQS or dynalite after it closed (dynalite throws an
    // uncaught "Database is closed" into the process): first the webhook server, which waits
    // for the receiver calls in flight; then the poller, which waits for its batch; SQS; dynalite.
    stop: async () => {
      healthy = false;
      for (const timer of timers) clearTimeout(timer);
      await scanning;
      clearInterval(digestTimer);
      await flushing;
      await http.close();
      await poller.stop();
      await sqs.close();
      await dynamo.close();
    },
  };
}
