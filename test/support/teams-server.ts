import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.js';

/**
 * A local stand-in for a Teams Workflows webhook ("When a Teams webhook request is received"):
 * `POST /workflows/<name>/triggers/manual/paths/invoke?...&sig=<signature>` with a JSON body,
 * answered `202 Accepted` with an empty body as Power Automate does. A wrong signature gets
 * 401; scripted failures answer 429 (Retry-After), 5xx or 4xx, or drop the connection.
 */

export interface TeamsPost {
  webhook: string;
  contentType: string | undefined;
  body: unknown;
  raw: string;
}

/** `drop` destroys the connection without an answer (nothing is posted), like a network reset. */
export type TeamsFailure = { status: 429; retryAfterSeconds: number } | { status: 400 | 403 | 404 | 500 | 502 | 503; body?: string } | { drop: true };

export interface TeamsServer {
  /** A webhook URL for `name`, signature included (it is a secret in production). */
  webhookUrl(name: string): string;
  posts: TeamsPost[];
  postsTo(name: string): TeamsPost[];
  failNext(failure: TeamsFailure, times?: number): void;
  /** Scripted failures not yet used (a bench checks its faults all fired). */
  pendingFailures(): number;
  reset(): void;
  close(): Promise<void>;
}

const SIGNATURE = 'test-signature-do-not-log';

export async function startTeamsServer(): Promise<TeamsServer> {
  const posts: TeamsPost[] = [];
  const failures: TeamsFailure[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = /^\/workflows\/([^/]+)\/triggers\/manual\/paths\/invoke$/.exec(url.pathname);
    if (request.method !== 'POST' || !match) {
      response.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('sig') !== SIGNATURE) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'DirectApiAuthorizationRequired' } }));
      return;
    }
    const failure = failures.shift();
    if (failure && 'drop' in failure) return void request.socket.destroy();
    if (failure) {
      const headers: Record<string, string> = failure.status === 429 ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      response.writeHead(failure.status, headers).end('body' in failure && failure.body !== undefined ? failure.body : '');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      response.writeHead(400).end('{"error":{"code":"InvalidRequestContent"}}');
      return;
    }
    posts.push({ webhook: decodeURIComponent(match[1] ?? ''), contentType: request.headers['content-type'], body, raw });
    response.writeHead(202).end();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    webhookUrl: (name) =>
      `http://127.0.0.1:${port}/workflows/${encodeURIComponent(name)}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIGNATURE}`,
    posts,
    postsTo: (name) => posts.filter((post) => post.webhook === name),
    failNext: (failure, times = 1) => {
      for (let i = 0; i < times; i += 1) failures.push(failure);
    },
    pendingFailures: () => failures.length,
    reset: () => {
      posts.length = 0;
      failures.length = 0;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** The signature part of every webhook URL: tests assert it never reaches a record or log. */
export const TEAMS_TEST_SIGNATURE = SIGNATURE;
