import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLIENT_TIMEOUTS, createAwsClients } from '../../cli/context.js';

describe("the CLI's AWS calls are bounded", () => {
  let stalled: Server;
  let endpoint: string;

  beforeAll(async () => {
    // Accepts the request and never answers.
    stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', () => resolve()));
    endpoint = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    stalled.closeAllConnections();
    await new Promise<void>((resolve) => stalled.close(() => resolve()));
  });

  it('has a connect and a request timeout by default (the SDK has none)', () => {
    expect(AWS_CLIENT_TIMEOUTS).toMatchObject({ connectionTimeout: expect.any(Number), requestTimeout: expect.any(Number), throwOnRequestTimeout: true });
    expect(AWS_CLIENT_TIMEOUTS.requestTimeout).toBeGreaterThan(0);
  });

  it('a DynamoDB that never answers fails the call instead of hanging the command', async () => {
    const aws = createAwsClients({ AWS_ENDPOINT_URL_DYNAMODB: endpoint }, { connectionTimeout: 200, requestTimeout: 300, throwOnRequestTimeout: true });
    try {
      const started = Date.now();
      await expect(aws.dynamodb().send(new ListTablesCommand({}))).rejects.toThrow(/timeout|timed out/i);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      aws.destroy();
    }
  }, 20_000);
});
