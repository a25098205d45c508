import type { APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeRequest } from '../receiver/routes.js';
import { WEBHOOK_PATH } from '../receiver/webhook-path.js';

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResult>;

/**
 * Reads the body, keeping at most `limit + 1` bytes: enough for the receiver to answer 413 with
 * the request still open. The rest is drained, not stored.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    if (kept > limit) continue;
    const take = buffer.subarray(0, limit + 1 - kept);
    chunks.push(take);
    kept += take.length;
  }
  return Buffer.concat(chunks);
}

/** Turns a Node request into the HTTP API (payload v2) event API Gateway would send. */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer, path: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `POST ${WEBHOOK_PATH}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket?.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `local-${now.getTime()}`,
      routeKey: `POST ${WEBHOOK_PATH}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    // Like API Gateway: base64 so the receiver sees the exact bytes (signatures cover them).
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

/** GitLab's webhook timeout (GitLab docs, "Webhook timeout"): no sender waits longer. */
const DRAIN_TIMEOUT_MS = 10_000;

/** The webhook server of the local bridge. */
export interface HttpAdapter {
  server: Server;
  url: string;
  /**
   * Stops accepting requests, waits for the ones already started to be answered (at most
   * DRAIN_TIMEOUT_MS), then closes every connection.
   */
  close(): Promise<void>;
}

/**
 * The local stand-in for API Gateway: `POST /webhooks/gitlab` and `POST /slack/interactions` go to the receiver handler,
 * `GET /healthz` answers 200, another method on those paths 405, anything else 404.
 */
export async function startHttpAdapter(options: {
  handler: ApiHandler;
  port: number;
  host: string;
  maxBodyBytes: number;
  healthy: () => boolean;
}): Promise<HttpAdapter> {
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (closing) {
      // A request on a kept-alive connection after close() began: 503, so the sender sees a failure
      // it can resend (GitLab marks it failed; it does not retry by itself).
      response.setHeader('connection', 'close');
      send(503, { error: 'the local bridge is stopping; send again once it runs' });
      return;
    }
    if (path === '/healthz' && request.method === 'GET') {
      send(options.healthy() ? 200 : 503, { ok: options.healthy() });
      return;
    }
    // The same routing as a function URL's receiver, before the body is read.
    const routed = routeRequest(request.method ?? 'GET', path);
    if (!('route' in routed)) {
      send(routed.statusCode, routed.body);
      return;
    }
    const handled: Promise<void> = readBody(request, options.maxBodyBytes)
      .then((body) => options.handler(toApiGatewayEvent(request, body, path)))
      .then((result) => {
        response.writeHead(result.statusCode, { 'content-type': 'application/json' });
        response.end(result.body);
      })
      .catch((error: unknown) => send(500, { error: (error as Error).message }))
      .finally(() => inFlight.delete(handled));
    inFlight.add(handled);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host}:${address.port}`,
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The receiver writes to DynamoDB and SQS after the response's socket is gone, so the
      // bridge may close those only once every started request has finished. Each is bounded
      // by GitLab's 10 s webhook timeout; a request stuck longer is abandoned.
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.allSettled([...inFlight]);
      await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}
