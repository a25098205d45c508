/**
 * The parts of `npm run bench` that run the whole pipeline: what a delivery costs in AWS
 * requests, time and bytes (for bench/cost-model.ts), the end-to-end latency of a failure notice
 * on the local bridge, and the local bridge under load. Called from bench/receiver.bench.ts.
 */
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand, type QueryCommandOutput, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { WebClient } from '@slack/web-api';
import { resolveConfig } from '../lib/config/resolve.js';
import { DEFAULTS } from '../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../lib/deliveries/dynamodb-store.js';
import { DELIVERY_PREFIX, TABLE } from '../lib/deliveries/table.js';
import { DynamoDbEffectLedger } from '../lib/effects/dynamodb-ledger.js';
import { createGitLabAccess } from '../lib/gitlab/access.js';
import { gitlabClientFactory } from '../lib/gitlab/api-client.js';
import { parseWebhookAuth } from '../lib/gitlab/webhook-auth.js';
import { startLocalBridge, type LocalBridge } from '../lib/local/bridge.js';
import { ensureBridgeTable } from '../lib/local/create-table.js';
import { startDynalite } from '../lib/local/dynalite-server.js';
import { LOCAL_AWS } from '../lib/local/names.js';
import { DEFAULT_LOCAL_WORKER_CONCURRENCY, toSqsEvent } from '../lib/local/queue-poller.js';
import { startLocalSqs } from '../lib/local/sqs-server.js';
import { emfMetrics, jsonLogger } from '../lib/observability.js';
import { SqsDeliveryQueue, SqsVisibility } from '../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../lib/receiver/webhook-path.js';
import { credentialsFromEnv } from '../lib/secrets/credentials.js';
import { DynamoDbStateStore } from '../lib/state/dynamodb-state-store.js';
import { processDelivery } from '../lib/worker/process-delivery.js';
import { createSqsBatchHandler } from '../lib/worker/sqs-batch.js';
import { createPlanners } from '../functions/planners.js';
import { pipelineEvent } from '../test/fixtures/builders/pipeline.js';
import type { SlackCall, SlackServer } from '../test/support/slack-server.js';
import { billedMs, emptyMeasuredRun, meteredApiRequests, type MeasuredRun } from './cost-model.js';
import { meterDynamo } from './dynamo-meter.js';

export const BENCH_TOKEN = 'bench-token';
const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** One webhook delivery as the bench sends it. */
export interface BenchDelivery {
  event: string;
  body: string;
}

/**
 * A pipeline-heavy mix: pipelines on the default branch of five projects (the branches the
 * zero-config route watches), two failures then a recovery, repeated.
 */
export function pipelineHeavyMix(count: number): BenchDelivery[] {
  return Array.from({ length: count }, (_, i) => ({
    event: 'Pipeline Hook',
    body: JSON.stringify(
      pipelineEvent({
        status: i % 3 === 2 ? 'success' : 'failed',
        projectId: 7000 + (i % 5),
        projectPath: `bench/heavy-${i % 5}`,
        defaultBranch: 'main',
        ref: 'main',
        id: 7000 + i,
        failedJobs: i % 3 === 2 ? 0 : 2,
      }),
    ),
  }));
}

/** The HTTP API's event for a webhook POST of `delivery`, as API Gateway hands it to the receiver. */
export function apiEvent(delivery: BenchDelivery, id: string) {
  return {
    version: '2.0' as const,
    routeKey: `POST ${WEBHOOK_PATH}`,
    rawPath: WEBHOOK_PATH,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': delivery.event, 'x-gitlab-token': BENCH_TOKEN, 'idempotency-key': id },
    requestContext: { http: { method: 'POST' } } as never,
    body: delivery.body,
    isBase64Encoded: false,
  };
}

/** Environment for the zero-config routes: Slack notices to the stand-in. */
export function slackEnv(slack: SlackServer): Record<string, string> {
  return { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl };
}

/** Counts SQS requests by kind on the wire the client talks to; a receive that returned nothing is not counted. */
function meterSqs(client: SQSClient) {
  const counts = { send: 0, receive: 0, delete: 0, changeVisibility: 0, emptyReceive: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const name = context.commandName ?? '';
      if (name.startsWith('SendMessage')) counts.send++;
      else if (name.startsWith('DeleteMessage')) counts.delete++;
      else if (name.startsWith('ChangeMessageVisibility')) counts.changeVisibility++;
      else if (name === 'ReceiveMessageCommand') {
        if (((result.output as { Messages?: unknown[] }).Messages ?? []).length > 0) counts.receive++;
        else counts.emptyReceive++;
      }
      return result;
    },
    { step: 'initialize', name: 'benchSqsMeter' },
  );
  return counts;
}

/**
 * Counts the bytes written to stdout and stderr (the EMF and JSON log lines; in Lambda both go to
 * CloudWatch Logs) until restored, and keeps them off the terminal.
 */
function captureOutput(): { bytes: () => number; restore: () => void } {
  let bytes = 0;
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  return {
    bytes: () => bytes,
    restore: () => streams.forEach((stream, i) => (stream.write = writes[i]!)),
  };
}

/**
 * Lambda's own lines per invocation (START, END, REPORT; Lambda developer guide, "Using
 * CloudWatch Logs with Lambda"), rendered with typical values.
 */
export function lambdaPlatformLogBytes(memoryMb: number): number {
  const id = '8f5b3c2e-1d4a-4e6f-9a7b-0c1d2e3f4a5b';
  const lines = [
    `START RequestId: ${id} Version: $LATEST\n`,
    `END RequestId: ${id}\n`,
    `REPORT RequestId: ${id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: 98 MB\t\n`,
  ];
  return lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
}

/**
 * What `deliveries` cost, one at a time (each processed before the next is sent, as at a low
 * rate: every worker batch holds one message, the least favourable case for batching): the real
 * receiver and worker handlers, dynalite and local SQS metered, Slack notices to the stand-in,
 * EMF metrics and JSON logs as in AWS. Lambda's and API Gateway's own log lines are added from
 * their formats.
 */
export async function measureCost(
  deliveries: readonly BenchDelivery[],
  slack: SlackServer,
  logBytesPerRequest: { receiverPlatform: number; workerPlatform: number; apiAccessLog: number },
): Promise<MeasuredRun & { unprocessed: number; workerCpuMs: number; writeUnits: { table: number; index: number; byKind: Record<string, number> } }> {
  const tableName = 'bench-cost';
  const dynamo = await startDynalite();
  await ensureBridgeTable(dynamo.client, tableName);
  const dynamoMeter = await meterDynamo(dynamo.client, dynamo.endpoint, tableName);
  const sqs = await startLocalSqs({ queueName: 'bench-cost-queue', visibilityTimeoutSeconds: 5, maxReceiveCount: DEFAULTS.maxAttempts });
  const sqsCounts = meterSqs(sqs.client);
  const env = slackEnv(slack);
  const config = resolveConfig(env);
  const credentials = credentialsFromEnv(env);
  const store = new DynamoDbDeliveryStore({ client: dynamo.client, tableName });
  const auth = parseWebhookAuth(BENCH_TOKEN);
  const logs = captureOutput();
  const receiver = createApiGatewayHandler({
    deliveries: store,
    queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
    auth: async () => auth,
    metrics: emfMetrics('receiver'),
    log: jsonLogger('receiver'),
  });
  const workerLog = jsonLogger('worker');
  const worker = createSqsBatchHandler(
    {
      deliveries: store,
      effects: new DynamoDbEffectLedger({ client: dynamo.client, tableName }),
      state: new DynamoDbStateStore(dynamo.client, tableName),
      planners: createPlanners({
        config,
        credentials,
        print: () => {},
        log: workerLog,
        gitlab: createGitLabAccess({ credentials, client: gitlabClientFactory }),
      }),
      maxAttempts: DEFAULTS.maxAttempts,
      log: workerLog,
      metrics: emfMetrics('worker'),
    },
    new SqsVisibility(sqs.client, sqs.queueUrl),
  );
  const run: MeasuredRun = emptyMeasuredRun(deliveries.length);
  const arn = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = arn.Attributes?.QueueArn ?? '';
  // Lambda's event source, one batch at a time, right after each send: receive, invoke, delete
  // what did not fail. Not a long poll: with WaitTimeSeconds 1, local-aws-sqs answered a receive
  // sent after the message was queued only when the second was up (seen here, 1 s a delivery).
  // CPU time of this process while the worker handler runs: an upper bound of the worker's own,
  // since dynalite, local SQS and the Slack stand-in answer it from the same process.
  let workerCpuMs = 0;
  const workerPass = async (): Promise<number> => {
    const received = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await worker(toSqsEvent(messages, queueArn));
    const used = process.cpuUsage(cpu);
    workerCpuMs += (used.user + used.system) / 1000;
    run.worker.invocations++;
    run.worker.billedMs += billedMs(performance.now() - start);
    const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length > 0) {
      await sqs.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: sqs.queueUrl,
          Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle ?? '' })),
        }),
      );
    }
    return done.length;
  };
  let unprocessed = 0;
  try {
    for (const [i, delivery] of deliveries.entries()) {
      const sentBefore = sqsCounts.send;
      const start = performance.now();
      await receiver(apiEvent(delivery, `cost-${i}`));
      run.receiver.invocations++;
      run.receiver.billedMs += billedMs(performance.now() - start);
      run.apiRequests += meteredApiRequests(Buffer.byteLength(delivery.body));
      if (sqsCounts.send === sentBefore) continue; // ignored or refused: nothing for the worker
      if ((await workerPass()) === 0) unprocessed++;
    }
  } finally {
    logs.restore();
  }
  run.dynamoDb = { writeUnits: dynamoMeter.tableWriteUnits() + dynamoMeter.indexWriteUnits(), readUnits: dynamoMeter.readUnits() };
  run.sqs = { send: sqsCounts.send, receive: sqsCounts.receive, delete: sqsCounts.delete, changeVisibility: sqsCounts.changeVisibility };
  run.logBytes =
    logs.bytes() +
    run.receiver.invocations * logBytesPerRequest.receiverPlatform +
    run.worker.invocations * logBytesPerRequest.workerPlatform +
    run.apiRequests * logBytesPerRequest.apiAccessLog;
  run.apiAccessLogBytes = run.apiRequests * logBytesPerRequest.apiAccessLog;
  await sqs.close();
  await dynamo.close();
  const writeUnits = { table: dynamoMeter.tableWriteUnits(), index: dynamoMeter.indexWriteUnits(), byKind: dynamoMeter.writeUnitsByKind() };
  return { ...run, unprocessed, workerCpuMs, writeUnits };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
const median = (samples: readonly number[]) =>
  percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );

/** Resolves at the next chat.postMessage the stand-in receives (when it arrives, before it answers). */
function watchPosts(slack: SlackServer): { next(): Promise<number>; count(): number; lastAt(): number; stop(): void } {
  const push = slack.calls.push;
  let waiting: ((at: number) => void) | undefined;
  let posts = 0;
  let lastAt = 0;
  slack.calls.push = (...calls: SlackCall[]) => {
    const at = performance.now();
    for (const call of calls) {
      if (call.method !== 'chat.postMessage') continue;
      posts++;
      lastAt = at;
      waiting?.(at);
      waiting = undefined;
    }
    return push.apply(slack.calls, calls);
  };
  return {
    next: () => new Promise<number>((resolve) => (waiting = resolve)),
    count: () => posts,
    lastAt: () => lastAt,
    stop: () => (slack.calls.push = push),
  };
}

/**
 * Channels the end-to-end and load deliveries are spread over. The bridge keeps to Slack's pace
 * of about one message a second per channel (lib/notify/slack/pacing.ts: a burst of 3, then one
 * a second), so notices to one channel arrive at 1/s whatever the bridge's speed: 200 notices in a
 * row to #ci measured Slack's limit (median 1 s), not the bridge. Deliveries i go to channel
 * i mod BENCH_CHANNELS through a route per channel, as a team with many projects would have.
 */
export const BENCH_CHANNELS = 50;

async function startBenchBridge(slack: SlackServer, workerConcurrency?: number): Promise<LocalBridge> {
  const env = slackEnv(slack);
  const base = resolveConfig(env);
  const routes = Array.from({ length: BENCH_CHANNELS }, (_, c) => ({
    ...base.routes[0]!,
    name: `bench-${c}`,
    projects: [`bench/ch${c}/**`],
    slack: { channel: `#ci-${c}` },
  }));
  return startLocalBridge({
    port: 0,
    tokens: [BENCH_TOKEN],
    config: { ...base, routes },
    credentials: credentialsFromEnv(env),
    print: () => {},
    log: silent,
    ...(workerConcurrency !== undefined ? { workerConcurrency } : {}),
  });
}

/** A failed pipeline on the default branch of a project of its own (routed to channel i mod BENCH_CHANNELS): a first failure, so a new notice. */
function failedPipeline(i: number, prefix: string): string {
  return JSON.stringify(
    pipelineEvent({
      status: 'failed',
      projectId: 100_000 + i,
      projectPath: `bench/ch${((i % BENCH_CHANNELS) + BENCH_CHANNELS) % BENCH_CHANNELS}/${prefix}-${i}`,
      defaultBranch: 'main',
      ref: 'main',
      id: 10_000 + i,
      failedJobs: 1,
    }),
  );
}

async function post(url: string, body: string, id: string): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': BENCH_TOKEN, 'idempotency-key': id },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  await response.arrayBuffer();
  return response.status;
}

export interface EndToEnd {
  median: number;
  p99: number;
  /** Deliveries whose notice did not arrive within 10 s. */
  missed: number;
  parts: { receiver: number; worker: number; post: number; sum: number };
}

/**
 * POST → the Slack stand-in receives chat.postMessage, on the local bridge (what `npm start`
 * runs, in this process), one failed pipeline at a time; and the sum of its parts measured in the
 * same run: the receiver handler, one worker pass with the notifier in print mode, one post to
 * the same stand-in with the same Slack client.
 */
export async function measureEndToEnd(slack: SlackServer, count: number): Promise<EndToEnd> {
  const bridge = await startBenchBridge(slack);
  const posts = watchPosts(slack);
  const samples: number[] = [];
  let missed = 0;
  try {
    for (let i = -10; i < count; i++) {
      const arrived = posts.next();
      const start = performance.now();
      const status = await post(bridge.webhookUrl, failedPipeline(i + 10, 'e2e'), `e2e-${i}`);
      const at = status === 202 ? await Promise.race([arrived, new Promise<undefined>((resolve) => setTimeout(resolve, 10_000))]) : undefined;
      if (i < 0) continue; // warm-up
      if (at === undefined) missed++;
      else samples.push(at - start);
      // No notice at all: the route or the stand-in is broken; do not wait 10 s for each of the rest.
      if (missed >= 5 && samples.length === 0) break;
    }
  } finally {
    posts.stop();
    await bridge.stop();
  }

  // The parts, on their own tables, with the same stand-in.
  const tableName = 'bench-parts';
  const dynamo = await startDynalite();
  await ensureBridgeTable(dynamo.client, tableName);
  const store = new DynamoDbDeliveryStore({ client: dynamo.client, tableName });
  const auth = parseWebhookAuth(BENCH_TOKEN);
  const receiver = createApiGatewayHandler({ deliveries: store, queue: { send: async () => {} }, auth: async () => auth });
  const config = resolveConfig({ SLACK_CHANNEL: '#ci' });
  const workerDeps = {
    deliveries: store,
    effects: new DynamoDbEffectLedger({ client: dynamo.client, tableName }),
    state: new DynamoDbStateStore(dynamo.client, tableName),
    planners: createPlanners({ config, credentials: credentialsFromEnv({}), print: () => {} }),
    maxAttempts: DEFAULTS.maxAttempts,
  };
  const web = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 });
  const parts = { receiver: [] as number[], worker: [] as number[], post: [] as number[] };
  const partRounds = Math.min(count, 100);
  for (let i = -10; i < partRounds; i++) {
    const id = `part-${i}`;
    const body = failedPipeline(i + 10, 'parts');
    let start = performance.now();
    await receiver(apiEvent({ event: 'Pipeline Hook', body }, id));
    const receiverMs = performance.now() - start;
    start = performance.now();
    await processDelivery({ v: 1, deliveryId: id }, 1, workerDeps);
    const workerMs = performance.now() - start;
    start = performance.now();
    await web.chat.postMessage({ channel: '#ci', text: `pipeline failed on feature/parts-${i}` });
    const postMs = performance.now() - start;
    if (i < 0) continue;
    parts.receiver.push(receiverMs);
    parts.worker.push(workerMs);
    parts.post.push(postMs);
  }
  await dynamo.close();
  // Without a single sample the figures are NaN, which --json refuses rather than print as 0.
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) sorted.push(NaN);
  const sum = median(parts.receiver) + median(parts.worker) + median(parts.post);
  return {
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    missed,
    parts: { receiver: median(parts.receiver), worker: median(parts.worker), post: median(parts.post), sum },
  };
}

async function pool(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function countDeliveries(endpoint: string, tableName: string): Promise<number> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  let count = 0;
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ExpressionAttributeValues: { ':prefix': { S: DELIVERY_PREFIX } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return count;
}

export interface LoadFigures {
  sent: number;
  accepted: number;
  acceptedPerSecond: number;
  dynalitePutsPerSecond: number;
  records: number;
  lost: number;
  /** The receiver's own two writes alone (PutItem + SendMessage, same clients and concurrency, no HTTP, no worker) per second. */
  putAndSendPerSecond: number;
  /** Deliveries the worker finished per second, from the first POST until none was queued or processing (or the watch ended). */
  drainedPerSecond: number;
  /** Deliveries the worker finished (no longer queued or processing). */
  drained: number;
  /** Of their Slack calls: new messages (top-level notices and rollups) and rollup updates (failures folded into a storm's rollup). */
  posts: number;
  updates: number;
  /** Deliveries the worker finished while the senders were still posting: it shares the process and the cores. */
  finishedDuringIntake: number;
  /** Seconds from the first POST until every delivery was finished; undefined when the watch ended first. */
  drainSeconds: number | undefined;
  /** Failures each channel received (deliveries i go to channel i mod BENCH_CHANNELS). */
  perChannel: number;
  /** Seconds from the first POST until the drain ended (all finished or the watch ran out). */
  elapsedSeconds: number;
  /** Batches the local worker ran at once. */
  workerConcurrency: number;
}

/** Deliveries of the local table in one status, counted on the status index. */
async function countInStatus(client: DynamoDBClient, tableName: string, status: string): Promise<number> {
  let count = 0;
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: TABLE.byStatusIndex,
        Select: 'COUNT',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': TABLE.statusAttribute },
        ExpressionAttributeValues: { ':status': { S: status } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/**
 * `count` failed-pipeline deliveries from `senders` concurrent senders to the local bridge (its
 * worker running, as users run it), against dynalite's raw PutItem rate at the same concurrency
 * in the same process, and against the receiver's own two writes alone (PutItem + SendMessage);
 * then how fast the worker finishes them (watched for at most `drainWatchMs` after the last POST).
 * The drain counts deliveries, not Slack posts: past the storm threshold, failures to one channel
 * fold into a rollup (a chat.update), not a new message.
 */
export async function measureLoad(slack: SlackServer, count: number, senders: number, drainWatchMs: number, workerConcurrency?: number): Promise<LoadFigures> {
  const body = failedPipeline(0, 'load');
  // dynalite alone: an item with the webhook body, the same table layout, the same client and concurrency.
  const raw = await startDynalite();
  await ensureBridgeTable(raw.client, 'bench-raw');
  let start = performance.now();
  await pool(count, senders, async (i) => {
    await raw.client.send(new PutItemCommand({ TableName: 'bench-raw', Item: { [TABLE.partitionKey]: { S: `raw#${i}` }, body: { S: body } } }));
  });
  const dynalitePutsPerSecond = count / ((performance.now() - start) / 1000);
  // What the receiver cannot skip: the delivery record and the queue message, one after the other.
  const sqs = await startLocalSqs({ port: 0, maxReceiveCount: DEFAULTS.maxAttempts, visibilityTimeoutSeconds: 10, queueName: 'bench-raw' });
  start = performance.now();
  await pool(count, senders, async (i) => {
    await raw.client.send(new PutItemCommand({ TableName: 'bench-raw', Item: { [TABLE.partitionKey]: { S: `pair#${i}` }, body: { S: body } } }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: JSON.stringify({ v: 1, deliveryId: `pair#${i}` }) }));
  });
  const putAndSendPerSecond = count / ((performance.now() - start) / 1000);
  await sqs.close();
  await raw.close();

  const bridge = await startBenchBridge(slack, workerConcurrency);
  const reader = new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint });
  const pending = async () => (await countInStatus(reader, bridge.tableName, 'queued')) + (await countInStatus(reader, bridge.tableName, 'processing'));
  const callsBefore = slack.calls.length;
  let accepted = 0;
  try {
    start = performance.now();
    await pool(count, senders, async (i) => {
      const status = await post(bridge.webhookUrl, failedPipeline(i, 'load'), `load-${i}`).catch(() => 0);
      if (status === 202) accepted++;
    });
    const intakeMs = performance.now() - start;
    const deadline = Date.now() + drainWatchMs;
    let left = await pending();
    const finishedDuringIntake = accepted - left;
    while (left > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await pending();
    }
    const drainMs = performance.now() - start;
    const records = await countDeliveries(bridge.dynamoEndpoint, bridge.tableName);
    const calls = slack.calls.slice(callsBefore);
    return {
      sent: count,
      accepted,
      acceptedPerSecond: accepted / (intakeMs / 1000),
      dynalitePutsPerSecond,
      putAndSendPerSecond,
      records,
      lost: accepted - records,
      drained: records - left,
      drainedPerSecond: (records - left) / (Math.max(drainMs, intakeMs) / 1000),
      posts: calls.filter((call) => call.method === 'chat.postMessage').length,
      updates: calls.filter((call) => call.method === 'chat.update').length,
      finishedDuringIntake,
      drainSeconds: left === 0 ? drainMs / 1000 : undefined,
      perChannel: Math.ceil(count / BENCH_CHANNELS),
      elapsedSeconds: Math.max(drainMs, intakeMs) / 1000,
      workerConcurrency: workerConcurrency ?? DEFAULT_LOCAL_WORKER_CONCURRENCY,
    };
  } finally {
    reader.destroy();
    await bridge.stop();
  }
}
