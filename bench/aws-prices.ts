/**
 * AWS list prices the cost model (bench/cost-model.ts) uses: us-east-1, arm64, on-demand, no free
 * tier, first pricing tier. Each price names the page it comes from.
 *
 * As of 2026-11-30, transcribed from the public pricing pages below (this machine is offline, so
 * they were not re-fetched for this run; DynamoDB's are the on-demand prices in effect since the
 * 2024-11-01 cut). Check the pages before quoting a figure as current.
 */
export const AWS_PRICES_AS_OF = '2026-11-30';
export const AWS_PRICES_REGION = 'us-east-1';

export const AWS_PRICES = {
  /** https://aws.amazon.com/api-gateway/pricing/ HTTP APIs: $1.00 per million requests (first 300 million), metered in 512 KB increments. */
  apiGatewayHttpPerMillionRequests: 1.0,
  /** Size of one metered HTTP API request: a larger body counts as more than one request. */
  apiGatewayHttpRequestBytes: 512 * 1024,
  /** https://aws.amazon.com/lambda/pricing/ Arm: $0.0000133334 per GB-second (first 6 billion GB-s a month), billed per 1 ms. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ $0.20 per million requests, whatever the architecture. */
  lambdaPerMillionRequests: 0.2,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ $0.625 per million write request units. */
  dynamoDbPerMillionWriteUnits: 0.625,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ $0.125 per million read request units. */
  dynamoDbPerMillionReadUnits: 0.125,
  /** https://aws.amazon.com/sqs/pricing/ standard queue: $0.40 per million requests; each 64 KB chunk of a payload is one request, a batch of up to 10 is one request. */
  sqsStandardPerMillionRequests: 0.4,
  /** https://aws.amazon.com/secrets-manager/pricing/ $0.05 per 10,000 API calls. */
  secretsManagerPer10kCalls: 0.05,
  /** https://aws.amazon.com/secrets-manager/pricing/ $0.40 per secret per month. */
  secretsManagerPerSecretMonth: 0.4,
  /** https://aws.amazon.com/cloudwatch/pricing/ Logs, standard class: $0.50 per GB ingested (EMF lines are log lines). */
  cloudWatchLogsPerGbIngested: 0.5,
  /** https://aws.amazon.com/cloudwatch/pricing/ $0.30 per custom metric per month (first 10,000): EMF metrics are custom metrics. */
  cloudWatchPerMetricMonth: 0.3,
} as const;

export type AwsPrices = typeof AWS_PRICES;
