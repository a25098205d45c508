import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { parseWebhookAuth } from '../../lib/gitlab/webhook-auth.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { gitlabHeaders, readFixture } from '../support/gitlab-fixtures.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';

const KEY = `whsec_${randomBytes(32).toString('base64')}`;
let table: Awaited<ReturnType<typeof startTestTable>>;
let sqs: LocalSqs;
let handler: ReturnType<typeof createApiGatewayHandler>;
let store: DynamoDbDeliveryStore;

beforeAll(async () => {
  table = await startTestTable();
  sqs = await startTestQueues();
  store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
  const auth = parseWebhookAuth(JSON.stringify({ tokens: ['tok'], signingKeys: [KEY], projects: { 'gitlab-org/gitlab-test': { requireSignature: true } } }));
  handler = createApiGatewayHandler({ deliveries: store, queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl), auth: async () => auth });
});
afterAll(async () => {
  await sqs.close();
  await table.close();
});

const body = JSON.stringify(readFixture('pipeline--success.json'));

function v2(headers: Record<string, string>, raw: string, base64: boolean): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/gitlab',
    rawPath: '/webhooks/gitlab',
    rawQueryString: '',
    headers,
    requestContext: {
      http: { method: 'POST', path: '/webhooks/gitlab', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'GitLab' },
    } as APIGatewayProxyEventV2['requestContext'],
    body: base64 ? Buffer.from(raw).toString('base64') : raw,
    isBase64Encoded: base64,
  };
}

function signedHeaders(raw: string): Record<string, string> {
  const base = gitlabHeaders('Pipeline Hook', 'tok');
  const timestamp = new Date();
  return {
    ...base,
    'webhook-id': base['idempotency-key'] ?? '',
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(KEY).sign(base['idempotency-key'] ?? '', timestamp, raw),
  };
}

describe('createApiGatewayHandler', () => {
  it('accepts a signed HTTP API (v2) event with a base64 body, verifying the signature over its bytes', async () => {
    const headers = signedHeaders(body);
    const result = await handler(v2(headers, body, true));
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ deliveryId: headers['idempotency-key'], status: 'queued' });
    expect((await store.get(headers['idempotency-key'] ?? ''))?.headers['webhook-signature']).toBe('[REDACTED]');
  });

  it('refuses the plain token alone for a project that requires the signature', async () => {
    const result = await handler(v2(gitlabHeaders('Pipeline Hook', 'tok'), body, false));
    expect(result.statusCode).toBe(401);
  });

  it('reads REST API (v1) events with mixed-case header names', async () => {
    const headers = signedHeaders(body);
    const mixed = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), value]));
    const event = { httpMethod: 'POST', headers: mixed, body, isBase64Encoded: false } as unknown as APIGatewayProxyEvent;
    const result = await handler(event);
    expect(result.statusCode).toBe(202);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
  });
});

describe('createApiGatewayHandler behind a Lambda function URL (endpoint functionUrl)', () => {
  // The webhook's project requires no signature here: the token alone is accepted.
  const tokenAuth = parseWebhookAuth(JSON.stringify({ tokens: ['tok'] }));
  let authReads = 0;
  let furl: ReturnType<typeof createApiGatewayHandler>;
  beforeAll(() => {
    furl = createApiGatewayHandler(
      {
        deliveries: store,
        queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
        auth: async () => {
          authReads++;
          return tokenAuth;
        },
        maxBodyBytes: 1024 * 1024,
      },
      undefined,
      { endpoint: 'functionUrl' },
    );
  });

  /** A function URL event: payload 2.0, route key `$default`, every path and method. */
  function urlEvent(method: string, rawPath: string, headers: Record<string, string>, raw: string): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString: '',
      headers,
      requestContext: {
        domainName: 'abc123.lambda-url.eu-west-1.on.aws',
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'GitLab' },
      } as APIGatewayProxyEventV2['requestContext'],
      body: raw,
      isBase64Encoded: false,
    };
  }

  it('accepts POST /webhooks/gitlab with the token and records the delivery', async () => {
    const headers = gitlabHeaders('Pipeline Hook', 'tok');
    const result = await furl(urlEvent('POST', WEBHOOK_PATH, headers, body));
    expect(result.statusCode).toBe(202);
    expect((await store.get(headers['idempotency-key'] ?? ''))?.status).toBe('queued');
  });

  it('hands POST /slack/interactions to the Slack route (no Slack app configured: 401, not the webhook route’s 415)', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': '1', 'x-slack-signature': 'v0=00' };
    const result = await furl(urlEvent('POST', '/slack/interactions', form, 'payload=%7B%7D'));
    expect(result.statusCode).toBe(401);
  });

  it('logs an unknown path trimmed, not as long as the caller made it', async () => {
    const fields: Record<string, unknown>[] = [];
    const logged = createApiGatewayHandler(
      {
        deliveries: store,
        queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
        auth: async () => tokenAuth,
        metrics: { count: () => {}, describe: (more) => fields.push(more) },
      },
      undefined,
      { endpoint: 'functionUrl' },
    );
    const result = await logged(urlEvent('POST', `/${'x'.repeat(20_000)}`, {}, ''));
    expect(result.statusCode).toBe(404);
    const path = fields.find((field) => 'path' in field)?.path;
    expect(typeof path).toBe('string');
    expect((path as string).length).toBeLessThanOrEqual(201);
  });

  it.each(['/', '/webhooks/gitlab/', '/Webhooks/GitLab', '/webhooks/gitlab/extra', '/slack', '/favicon.ico', '/webhooks%2Fgitlab'])(
    'answers 404 with a reason for %s, before reading the body or the secret, and records nothing',
    async (path) => {
      const headers = gitlabHeaders('Pipeline Hook', 'tok');
      const reads = authReads;
      // Oversized and not JSON: reaching the webhook route would have answered 413.
      const result = await furl(urlEvent('POST', path, headers, 'x'.repeat(2 * 1024 * 1024)));
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body)).toEqual({ error: `not found; GitLab webhooks go to POST ${WEBHOOK_PATH}` });
      expect(authReads).toBe(reads);
      expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
    },
  );

  it.each(['GET', 'HEAD', 'PUT', 'OPTIONS'])('answers %s on a route with 405, without reading the secret', async (method) => {
    const reads = authReads;
    for (const path of [WEBHOOK_PATH, '/slack/interactions']) {
      const result = await furl(urlEvent(method, path, gitlabHeaders('Pipeline Hook', 'tok'), ''));
      expect(result.statusCode, path).toBe(405);
      expect(JSON.parse(result.body)).toEqual({ error: 'use POST' });
    }
    expect(authReads).toBe(reads);
  });

  it('routes nothing itself behind the HTTP API (the default): the API routed already, and a base path may prefix rawPath', async () => {
    const headers = gitlabHeaders('Pipeline Hook', 'tok');
    const behindApi = createApiGatewayHandler({ deliveries: store, queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl), auth: async () => tokenAuth });
    const result = await behindApi(urlEvent('POST', `/bridge${WEBHOOK_PATH}`, headers, body));
    expect(result.statusCode).toBe(202);
  });
});
