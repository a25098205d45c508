/**
 * What a million deliveries cost at AWS list prices, from what a bench run counted. Pure: counts
 * and prices in, dollars out; the bench (bench/pipeline.bench.ts) does the counting. The model
 * prices what was measured and nothing else: it has no knob to meet a target.
 */
import type { WebhookEndpoint } from '../lib/receiver/webhook-path.js';
import { AWS_PRICES, type AwsPrices } from './aws-prices.js';

/** What a run of `deliveries` deliveries cost in requests, time and bytes, summed over the run. */
export interface MeasuredRun {
  deliveries: number;
  /** HTTP API requests as API Gateway meters them (one per 512 KB of request). */
  apiRequests: number;
  /** Receiver invocations and their billed time: the sum of each handler time rounded up to 1 ms. */
  receiver: { invocations: number; billedMs: number };
  /** Worker invocations (one per SQS batch) and their billed time. */
  worker: { invocations: number; billedMs: number };
  /** DynamoDB request units, table and index writes included. */
  dynamoDb: { writeUnits: number; readUnits: number };
  /** SQS requests; a receive that returned nothing is not a delivery's (see fixedMonthlyCosts). */
  sqs: { send: number; receive: number; delete: number; changeVisibility: number };
  secretsManagerCalls: number;
  /** Bytes written to CloudWatch Logs: EMF metric lines, JSON log lines, Lambda's own lines, API access log. */
  logBytes: number;
  /** Of logBytes, the API access log's lines: a function URL writes none. */
  apiAccessLogBytes: number;
}

/** A run of `deliveries` that has counted nothing yet. */
export function emptyMeasuredRun(deliveries: number): MeasuredRun {
  return {
    deliveries,
    apiRequests: 0,
    receiver: { invocations: 0, billedMs: 0 },
    worker: { invocations: 0, billedMs: 0 },
    dynamoDb: { writeUnits: 0, readUnits: 0 },
    sqs: { send: 0, receive: 0, delete: 0, changeVisibility: 0 },
    secretsManagerCalls: 0,
    logBytes: 0,
    apiAccessLogBytes: 0,
  };
}

/** The functions' memory settings (cdk/bridge-stack.ts). */
export interface StackMemory {
  receiverMb: number;
  workerMb: number;
}

export type CostComponent =
  | 'API Gateway HTTP API requests'
  | 'Lambda requests (receiver + worker)'
  | 'Lambda GB-seconds, receiver'
  | 'Lambda GB-seconds, worker'
  | 'DynamoDB write units'
  | 'DynamoDB read units'
  | 'SQS requests'
  | 'Secrets Manager calls'
  | 'CloudWatch Logs ingestion';

export interface CostLine {
  component: CostComponent;
  usdPerMillion: number;
  /** The measured quantity per delivery behind the figure, e.g. "4.2 WRU". */
  perDelivery: string;
}

export interface CostPerMillion {
  lines: CostLine[];
  totalUsd: number;
}

const MILLION = 1_000_000;
const GB = 1024 ** 3;

/** Lambda GB-seconds for `billedMs` at `memoryMb` (Lambda counts a GB as 1024 MB). */
export function gbSeconds(billedMs: number, memoryMb: number): number {
  return (billedMs / 1000) * (memoryMb / 1024);
}

/** Billed Lambda time of one invocation: Lambda bills per 1 ms, rounded up. */
export function billedMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/** API Gateway meters HTTP API requests in 512 KB increments. */
export function meteredApiRequests(bodyBytes: number, prices: AwsPrices = AWS_PRICES): number {
  return Math.max(1, Math.ceil(bodyBytes / prices.apiGatewayHttpRequestBytes));
}

/**
 * Dollars per million deliveries, per component and in total, behind the stack's endpoint
 * (`-c endpoint`, cdk/settings.ts): a function URL has no request charge of its own (Lambda
 * pricing: function URLs are billed as the invocations and duration they cause) and writes no
 * access log, so it drops the API Gateway line and the access log's bytes. Everything else the
 * receiver does is the same work on the same event (payload 2.0 either way).
 */
export function costPerMillion(run: MeasuredRun, memory: StackMemory, prices: AwsPrices = AWS_PRICES, endpoint: WebhookEndpoint = 'api'): CostPerMillion {
  if (run.deliveries <= 0) throw new RangeError('costPerMillion: a run needs at least one delivery');
  const viaApi = endpoint === 'api';
  const logBytes = viaApi ? run.logBytes : run.logBytes - run.apiAccessLogBytes;
  const per = (count: number) => count / run.deliveries;
  const sqsRequests = run.sqs.send + run.sqs.receive + run.sqs.delete + run.sqs.changeVisibility;
  const lambdaRequests = run.receiver.invocations + run.worker.invocations;
  const receiverGbs = gbSeconds(run.receiver.billedMs, memory.receiverMb);
  const workerGbs = gbSeconds(run.worker.billedMs, memory.workerMb);
  const apiLine: CostLine = {
    component: 'API Gateway HTTP API requests',
    usdPerMillion: per(run.apiRequests) * prices.apiGatewayHttpPerMillionRequests,
    perDelivery: `${per(run.apiRequests).toFixed(2)} requests`,
  };
  const lines: CostLine[] = [
    ...(viaApi ? [apiLine] : []),
    {
      component: 'Lambda requests (receiver + worker)',
      usdPerMillion: per(lambdaRequests) * prices.lambdaPerMillionRequests,
      perDelivery: `${per(run.receiver.invocations).toFixed(2)} + ${per(run.worker.invocations).toFixed(2)} invocations`,
    },
    {
      component: 'Lambda GB-seconds, receiver',
      usdPerMillion: per(receiverGbs) * MILLION * prices.lambdaArmPerGbSecond,
      perDelivery: `${per(run.receiver.billedMs).toFixed(2)} billed ms at ${memory.receiverMb} MB`,
    },
    {
      component: 'Lambda GB-seconds, worker',
      usdPerMillion: per(workerGbs) * MILLION * prices.lambdaArmPerGbSecond,
      perDelivery: `${per(run.worker.billedMs).toFixed(2)} billed ms at ${memory.workerMb} MB`,
    },
    {
      component: 'DynamoDB write units',
      usdPerMillion: per(run.dynamoDb.writeUnits) * prices.dynamoDbPerMillionWriteUnits,
      perDelivery: `${per(run.dynamoDb.writeUnits).toFixed(2)} WRU`,
    },
    {
      component: 'DynamoDB read units',
      usdPerMillion: per(run.dynamoDb.readUnits) * prices.dynamoDbPerMillionReadUnits,
      perDelivery: `${per(run.dynamoDb.readUnits).toFixed(2)} RRU`,
    },
    {
      component: 'SQS requests',
      usdPerMillion: per(sqsRequests) * prices.sqsStandardPerMillionRequests,
      perDelivery: `${per(run.sqs.send).toFixed(2)} send, ${per(run.sqs.receive).toFixed(2)} receive, ${per(run.sqs.delete).toFixed(2)} delete, ${per(run.sqs.changeVisibility).toFixed(2)} visibility`,
    },
    {
      component: 'Secrets Manager calls',
      usdPerMillion: (per(run.secretsManagerCalls) * MILLION * prices.secretsManagerPer10kCalls) / 10_000,
      perDelivery: `${per(run.secretsManagerCalls).toFixed(4)} calls`,
    },
    {
      component: 'CloudWatch Logs ingestion',
      usdPerMillion: ((per(logBytes) * MILLION) / GB) * prices.cloudWatchLogsPerGbIngested,
      perDelivery: `${per(logBytes).toFixed(0)} bytes${viaApi ? ` (${per(run.apiAccessLogBytes).toFixed(0)} of them the API access log)` : ''}`,
    },
  ];
  return { lines, totalUsd: lines.reduce((sum, line) => sum + line.usdPerMillion, 0) };
}

/** Costs that come with the stack whatever the volume, per month. */
export interface FixedMonthly {
  secrets: number;
  /** Custom metrics (metric name x dimension values) the functions emit. */
  customMetrics: number;
  /** SQS receives Lambda's event source makes while the queue is empty. */
  idleSqsPolls: number;
  /** Secrets Manager reads while warm: one per secret per cache lifetime per running instance. */
  warmSecretReads: number;
}

/** Dollars per month for the fixed items, per item. */
export function fixedMonthlyCosts(fixed: FixedMonthly, prices: AwsPrices = AWS_PRICES): Record<keyof FixedMonthly, number> {
  return {
    secrets: fixed.secrets * prices.secretsManagerPerSecretMonth,
    customMetrics: fixed.customMetrics * prices.cloudWatchPerMetricMonth,
    idleSqsPolls: (fixed.idleSqsPolls / MILLION) * prices.sqsStandardPerMillionRequests,
    warmSecretReads: (fixed.warmSecretReads / 10_000) * prices.secretsManagerPer10kCalls,
  };
}

/**
 * Lambda's SQS event source long-polls with (at least) five pollers, each receive waiting up to
 * 20 s (AWS Lambda developer guide, "Using Lambda with Amazon SQS": "Lambda ... polls the queue
 * ... using five parallel long-polling connections"; ReceiveMessage WaitTimeSeconds maximum 20).
 */
export const IDLE_SQS_POLLS_PER_MONTH = (5 * (30 * 24 * 3600)) / 20;

/** What `-c endpoint=functionUrl` gives up (docs/deploy.md, "Endpoint"). */
export const FUNCTION_URL_COSTS =
  "the API's rate and burst throttling before any Lambda runs (a flood would be met only by the receiver's reserved concurrency) and its access log; the webhook URL changes";

/** One design change that lowers a component, and what it would cost the product. */
export interface DesignChange {
  component: CostComponent;
  change: string;
  /** The guarantee it gives up, or "none" when it keeps them all. */
  costs: string;
}

/**
 * The changes that would lower each component below what this architecture allows. Printed
 * beside each component's floor when the total misses the target; none is built by the bench.
 */
export const DESIGN_CHANGES: readonly DesignChange[] = [
  {
    component: 'API Gateway HTTP API requests',
    change: 'a Lambda function URL (no per-request charge) in place of the HTTP API (built, off by default: -c endpoint=functionUrl)',
    costs: FUNCTION_URL_COSTS,
  },
  {
    component: 'SQS requests',
    change: "the receiver invokes the worker asynchronously (Lambda's own queue) instead of SQS",
    costs:
      'five attempts spread by the visibility timeout, Retry-After honoured per delivery, the dead-letter queue the CLI replays from, and the per-ref ordering of the batch handler',
  },
  {
    component: 'SQS requests',
    change: 'buffer sends in the receiver and send them in batches of 10',
    costs: '"202 means queued": a receiver that dies with a full buffer loses accepted deliveries (GitLab does not resend a 2xx)',
  },
  {
    component: 'Lambda GB-seconds, worker',
    change: 'a smaller worker memory setting still (128 MB; the default is 256 MB, -c workerMemoryMb)',
    costs: 'none of the guarantees; slower cold starts, and little headroom over the ~90 MB the worker holds after its cold import',
  },
  {
    component: 'DynamoDB write units',
    change:
      'one index for every listing (by day; status and project as filters) or no byProject index, and queued deliveries out of byStatus (3.0 to 3.4 units on the fixture mix; docs/design.md "What a delivery costs in write units")',
    costs:
      'the listings an operator runs in an incident: `deliveries list --status failed` or `--project` would read through every delivery of the period (up to 30 days) instead of one short query, and --status queued would miss deliveries not yet attempted',
  },
  {
    component: 'CloudWatch Logs ingestion',
    change: "Lambda's JSON log format with system log level WARN (drops the START, END and REPORT lines, ~270 bytes an invocation)",
    costs: "none of the guarantees; each invocation's duration and memory used in the logs (Lambda's own metrics stay)",
  },
];

/**
 * Each component's floor in this architecture: what it costs per million when every delivery
 * takes the least it can (one API request, one receiver run of 1 ms, a worker batch of the
 * stack's batch size, one record write and one update, one send / receive / delete).
 */
export function costFloors(
  memory: StackMemory,
  workerBatchSize: number,
  prices: AwsPrices = AWS_PRICES,
  endpoint: WebhookEndpoint = 'api',
): Record<CostComponent, number> {
  const batchShare = 1 / workerBatchSize;
  return {
    'API Gateway HTTP API requests': endpoint === 'api' ? prices.apiGatewayHttpPerMillionRequests : 0,
    'Lambda requests (receiver + worker)': (1 + batchShare) * prices.lambdaPerMillionRequests,
    'Lambda GB-seconds, receiver': gbSeconds(1, memory.receiverMb) * MILLION * prices.lambdaArmPerGbSecond,
    'Lambda GB-seconds, worker': gbSeconds(1, memory.workerMb) * batchShare * MILLION * prices.lambdaArmPerGbSecond,
    'DynamoDB write units': 2 * prices.dynamoDbPerMillionWriteUnits,
    'DynamoDB read units': 0.5 * prices.dynamoDbPerMillionReadUnits,
    'SQS requests': (1 + 2 * batchShare) * prices.sqsStandardPerMillionRequests,
    'Secrets Manager calls': 0,
    'CloudWatch Logs ingestion': 0,
  };
}

const usd = (value: number) => `$${value.toFixed(value < 0.01 && value > 0 ? 4 : 2)}`;

/**
 * The cost section's lines for one mix: each component and the total against the target; when
 * the total misses it, each component's floor in this architecture and the changes that would go
 * below it, with what they would cost the product.
 */
export function formatCostReport(
  title: string,
  cost: CostPerMillion,
  options: { targetUsd: number; floors: Record<CostComponent, number>; showFloors?: boolean },
): string[] {
  const width = Math.max(...cost.lines.map((line) => line.component.length));
  const lines = [`  ${title}`];
  for (const line of cost.lines) lines.push(`    ${line.component.padEnd(width)}  ${usd(line.usdPerMillion).padStart(8)}   ${line.perDelivery} per delivery`);
  const met = cost.totalUsd <= options.targetUsd;
  lines.push(`    ${'total'.padEnd(width)}  ${usd(cost.totalUsd).padStart(8)}   (target <= ${usd(options.targetUsd)} per million: ${met ? 'met' : 'NOT met'})`);
  if (met || options.showFloors === false) return lines;
  const floorTotal = Object.values(options.floors).reduce((sum, floor) => sum + floor, 0);
  lines.push(
    `    floors in this architecture (sum ${usd(floorTotal)}${floorTotal > options.targetUsd ? ': the target needs a design change below' : ''}), and what would go below them:`,
  );
  for (const line of cost.lines) {
    const changes = DESIGN_CHANGES.filter((change) => change.component === line.component);
    lines.push(`      ${line.component.padEnd(width)}  floor ${usd(options.floors[line.component])}`);
    for (const change of changes) lines.push(`        - ${change.change}: saves up to ${usd(line.usdPerMillion)}; costs ${change.costs}`);
  }
  return lines;
}
