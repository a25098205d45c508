import { describe, expect, it } from 'vitest';
import { AWS_PRICES } from '../../bench/aws-prices.js';
import {
  billedMs,
  costFloors,
  costPerMillion,
  formatCostReport,
  FUNCTION_URL_COSTS,
  gbSeconds,
  emptyMeasuredRun,
  meteredApiRequests,
  type MeasuredRun,
} from '../../bench/cost-model.js';

const memory = { receiverMb: 512, workerMb: 1024 };

function run(overrides: Partial<MeasuredRun> = {}): MeasuredRun {
  return { ...emptyMeasuredRun(10), ...overrides };
}

const line = (cost: ReturnType<typeof costPerMillion>, component: string) => cost.lines.find((l) => l.component === component)?.usdPerMillion;

describe('cost per million deliveries', () => {
  it.each([
    ['one API request per delivery costs the HTTP API price', run({ apiRequests: 10 }), 'API Gateway HTTP API requests', 1.0],
    [
      'two Lambda invocations per delivery cost two Lambda requests',
      run({ receiver: { invocations: 10, billedMs: 0 }, worker: { invocations: 10, billedMs: 0 } }),
      'Lambda requests (receiver + worker)',
      0.4,
    ],
    // 100 ms at 512 MB = 0.05 GB-s per delivery; x 1e6 x $0.0000133334
    [
      'receiver GB-seconds from billed time and its memory',
      run({ receiver: { invocations: 10, billedMs: 1000 } }),
      'Lambda GB-seconds, receiver',
      0.05 * 1e6 * AWS_PRICES.lambdaArmPerGbSecond,
    ],
    [
      'worker GB-seconds use the worker memory',
      run({ worker: { invocations: 10, billedMs: 1000 } }),
      'Lambda GB-seconds, worker',
      0.1 * 1e6 * AWS_PRICES.lambdaArmPerGbSecond,
    ],
    ['write units at the on-demand price', run({ dynamoDb: { writeUnits: 30, readUnits: 0 } }), 'DynamoDB write units', 3 * 0.625],
    ['read units at the on-demand price', run({ dynamoDb: { writeUnits: 0, readUnits: 20 } }), 'DynamoDB read units', 2 * 0.125],
    ['every SQS request kind counts', run({ sqs: { send: 10, receive: 10, delete: 10, changeVisibility: 10 } }), 'SQS requests', 4 * 0.4],
    ['Secrets Manager per 10,000 calls', run({ secretsManagerCalls: 10 }), 'Secrets Manager calls', (1e6 * 0.05) / 10_000],
    ['log bytes at the ingestion price per GB', run({ logBytes: 10 * 1024 }), 'CloudWatch Logs ingestion', ((1024 * 1e6) / 1024 ** 3) * 0.5],
  ])('%s', (_name, measured, component, expected) => {
    expect(line(costPerMillion(measured, memory), component)).toBeCloseTo(expected, 10);
  });

  it('totals the components', () => {
    const cost = costPerMillion(run({ apiRequests: 10, dynamoDb: { writeUnits: 10, readUnits: 10 } }), memory);
    expect(cost.totalUsd).toBeCloseTo(1.0 + 0.625 + 0.125, 10);
  });

  it('refuses a run without deliveries', () => {
    expect(() => costPerMillion(run({ deliveries: 0 }), memory)).toThrow(/at least one delivery/);
  });

  it('bills Lambda per 1 ms, rounded up, at least 1 ms', () => {
    expect([billedMs(0.2), billedMs(1), billedMs(1.01), billedMs(12.5)]).toEqual([1, 1, 2, 13]);
  });

  it('counts a GB as 1024 MB', () => {
    expect(gbSeconds(1000, 1024)).toBe(1);
  });

  it('meters a body over 512 KB as more than one HTTP API request', () => {
    expect([meteredApiRequests(0), meteredApiRequests(512 * 1024), meteredApiRequests(512 * 1024 + 1)]).toEqual([1, 1, 2]);
  });

  it('puts the API Gateway floor at its price for one request', () => {
    expect(costFloors(memory, 5)['API Gateway HTTP API requests']).toBe(1.0);
  });

  it('prints the floors and design changes only when the total misses the target', () => {
    const cost = costPerMillion(run({ apiRequests: 30 }), memory);
    const floors = costFloors(memory, 5);
    const missed = formatCostReport('mix', cost, { targetUsd: 2.5, floors }).join('\n');
    expect(missed).toMatch(/total\s+\$3\.00\s+\(target <= \$2\.50 per million: NOT met\)/);
    expect(missed).toMatch(/Lambda function URL/);
    const met = formatCostReport('mix', cost, { targetUsd: 5, floors }).join('\n');
    expect(met).toMatch(/: met\)/);
    expect(met).not.toMatch(/floor/);
  });

  describe('behind a function URL (-c endpoint=functionUrl)', () => {
    const measured = run({
      apiRequests: 10,
      receiver: { invocations: 10, billedMs: 100 },
      dynamoDb: { writeUnits: 30, readUnits: 0 },
      logBytes: 10 * 2048,
      apiAccessLogBytes: 10 * 1024,
    });

    it('drops the API Gateway line and the access log bytes, and prices everything else the same', () => {
      const viaApi = costPerMillion(measured, memory);
      const viaUrl = costPerMillion(measured, memory, AWS_PRICES, 'functionUrl');
      expect(viaUrl.lines.map((l) => l.component)).not.toContain('API Gateway HTTP API requests');
      expect(viaApi.lines.map((l) => l.component)).toContain('API Gateway HTTP API requests');
      expect(line(viaUrl, 'CloudWatch Logs ingestion')).toBeCloseTo(((1024 * 1e6) / 1024 ** 3) * 0.5, 10);
      for (const component of ['Lambda requests (receiver + worker)', 'Lambda GB-seconds, receiver', 'DynamoDB write units']) {
        expect(line(viaUrl, component), component).toBe(line(viaApi, component));
      }
      const accessLogUsd = ((1024 * 1e6) / 1024 ** 3) * 0.5;
      expect(viaApi.totalUsd - viaUrl.totalUsd).toBeCloseTo(1.0 + accessLogUsd, 10);
    });

    it('has no API Gateway floor, and names what the option costs', () => {
      expect(costFloors(memory, 5, AWS_PRICES, 'functionUrl')['API Gateway HTTP API requests']).toBe(0);
      expect(FUNCTION_URL_COSTS).toMatch(/throttling.*reserved concurrency.*access log.*URL changes/);
    });

    it('prints its report without the floors when asked', () => {
      const viaUrl = costPerMillion(measured, memory, AWS_PRICES, 'functionUrl');
      const report = formatCostReport('mix', viaUrl, { targetUsd: 0.01, floors: costFloors(memory, 5), showFloors: false }).join('\n');
      expect(report).toMatch(/NOT met/);
      expect(report).not.toMatch(/floor|API Gateway/);
    });
  });
});
