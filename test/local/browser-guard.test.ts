import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../lib/local/dynalite-server.js';
import { browserRefusal, isLoopbackHost } from '../../lib/local/loopback-guard.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (fetch would not let a test set Host). */
function send(endpoint: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<RawResponse> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, path: '/', method: options.method, headers: options.headers, agent: false, timeout: 5_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const hostOf = (endpoint: string) => new URL(endpoint).host;

/** What a page's `fetch` to dynalite sends (the AWS SDK for JavaScript in a browser). */
const listTables = (endpoint: string, extra: Record<string, string> = {}) =>
  send(endpoint, {
    method: 'POST',
    headers: {
      host: hostOf(endpoint),
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      // dynalite checks that a signature is present, not that it is right.
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
      'x-amz-date': '20260101T000000Z',
      ...extra,
    },
    body: '{}',
  });

/** What an HTML form on any page can post to local SQS without a preflight. */
const formPost = (endpoint: string, body: string, extra: Record<string, string> = {}) =>
  send(endpoint, { method: 'POST', headers: { host: hostOf(endpoint), 'content-type': 'application/x-www-form-urlencoded', ...extra }, body });

let dynamo: LocalDynamo;
let sqs: LocalSqs;

// The run's dynalite and local SQS (test/support/global-setup.ts), started as `npm start` starts them.
beforeAll(async () => {
  [dynamo, sqs] = await Promise.all([startTestTable(), startTestQueues({ queueName: 'guard-queue' })]);
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), sqs?.close()]);
});

describe('local DynamoDB (dynalite) refuses web pages', () => {
  it('answers a page’s ListTables (Origin header) with 403 and no CORS grant', async () => {
    const response = await listTables(dynamo.endpoint, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringContaining('origin header') });
  });

  it('answers a CORS preflight with 403 and no CORS grant', async () => {
    const response = await send(dynamo.endpoint, {
      method: 'OPTIONS',
      headers: {
        host: hostOf(dynamo.endpoint),
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-amz-target',
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('refuses a Host that is not this machine (DNS rebinding)', async () => {
    const response = await listTables(dynamo.endpoint, { host: 'rebind.evil.example:8000' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringContaining('rebind.evil.example') });
  });

  it('still serves the same request without browser headers, by loopback name or address', async () => {
    expect((await listTables(dynamo.endpoint)).status).toBe(200);
    const port = new URL(dynamo.endpoint).port;
    expect((await listTables(dynamo.endpoint, { host: `localhost:${port}` })).status).toBe(200);
    expect(Array.isArray((await dynamo.client.send(new ListTablesCommand({}))).TableNames)).toBe(true);
  });
});

describe('local SQS (local-aws-sqs) refuses web pages', () => {
  it('answers a form-encoded POST from a page (Origin header) with 403, and serves it without one', async () => {
    const refused = await formPost(sqs.endpoint, 'Action=ListQueues', { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.body).not.toContain('guard-queue');
    const served = await formPost(sqs.endpoint, 'Action=ListQueues');
    expect(served.status).toBe(200);
    expect(served.body).toContain('guard-queue');
  });

  it('refuses a page that sends Sec-Fetch metadata but no Origin, a preflight, and a foreign Host', async () => {
    expect((await formPost(sqs.endpoint, 'Action=ListQueues', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(403);
    expect((await send(sqs.endpoint, { method: 'OPTIONS', headers: { host: hostOf(sqs.endpoint) } })).status).toBe(403);
    expect((await formPost(sqs.endpoint, 'Action=ListQueues', { host: 'rebind.evil.example' })).status).toBe(403);
  });

  it('still serves the AWS SDK client', async () => {
    const listed = await sqs.client.send(new ListQueuesCommand({}));
    expect(listed.QueueUrls).toContain(sqs.queueUrl);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1:3001', true],
    ['127.0.0.1', true],
    ['127.1.2.3:80', true],
    ['localhost:3001', true],
    ['LOCALHOST', true],
    ['[::1]:3001', true],
    ['[::1]', true],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example:3001', false],
    ['evil.example', false],
    ['10.0.0.5:3001', false],
    ['[::2]:3001', false],
    ['0.0.0.0:3001', false],
    ['', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('accepts a name the server was explicitly bound to', () => {
    expect(isLoopbackHost('devbox.internal:3001', ['devbox.internal'])).toBe(true);
  });
});

describe('browserRefusal', () => {
  it('passes a request without Host (HTTP/1.0 tools; browsers always send one)', () => {
    expect(browserRefusal({ method: 'POST', headers: {} }, { checkHost: true })).toBeUndefined();
  });

  it('refuses an Origin of "null" (sandboxed frames, file: pages) like any other', () => {
    expect(browserRefusal({ method: 'POST', headers: { origin: 'null' } }, { checkHost: true })).toMatch(/origin header/);
  });
});
