import { DEFAULTS } from '../defaults.js';
import { authenticateWebhook } from '../gitlab/authenticate.js';
import { summarizeEvent } from '../gitlab/events.js';
import { printable } from '../gitlab/printable.js';
import type { WebhookAuth } from '../gitlab/webhook-auth.js';
import { ingestDelivery, type IngestDeps } from './ingest.js';

export type { ReceiverMetrics } from './ingest.js';

export interface WebhookRequest {
  method: string;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received. */
  body: Uint8Array;
}

export interface WebhookResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface ReceiverDeps extends IngestDeps {
  /** Current tokens and signing keys (cached by the caller). */
  auth: () => Promise<WebhookAuth>;
  now?: () => Date;
  /** Largest accepted body. Default DEFAULTS.maxBodyBytes. */
  maxBodyBytes?: number;
  /** Allowed clock skew for signed webhooks. Default DEFAULTS.signatureToleranceSeconds. */
  signatureToleranceSeconds?: number;
}

/** Header text in a log line: enough to recognise `Merge Request Hook`, too short to flood a log. */
const MAX_LOGGED_HEADER_LENGTH = 64;
/** A project path in a log line; GitLab paths are far shorter (ingest.ts refuses over 2,048 bytes). */
const MAX_LOGGED_PROJECT_LENGTH = 256;

function reply(statusCode: number, body: Record<string, unknown>): WebhookResponse {
  return { statusCode, body };
}

/**
 * Receives one GitLab webhook: checks it, records it durably in the delivery log, queues it
 * for the worker and answers. It never answers 5xx for bad input; a 5xx means the delivery
 * could not be made durable, so GitLab marks it failed and it can be resent.
 */
export async function handleWebhook(request: WebhookRequest, deps: ReceiverDeps): Promise<WebhookResponse> {
  const now = (deps.now ?? (() => new Date()))();
  const headers = request.headers;

  if (request.method.toUpperCase() !== 'POST') return reply(405, { error: 'use POST' });
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return reply(415, { error: `Content-Type must be application/json, got "${contentType || 'none'}"` });
  }
  const maxBody = deps.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  if (request.body.byteLength > maxBody) {
    return reply(413, { error: `body is larger than the ${maxBody}-byte limit` });
  }

  // Parsed at most once, and only after the token or signature matched one the secret holds
  // (authenticateWebhook reads the project lazily): nobody without one makes the receiver parse.
  let parsed: { ok: true; value: unknown } | { ok: false } | undefined;
  let decoded: string | undefined;
  // Decoded once: JSON.parse reads it and the record stores it.
  const text = () => (decoded ??= Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8'));
  const parse = () => {
    if (!parsed) {
      try {
        parsed = { ok: true, value: JSON.parse(text()) };
      } catch {
        parsed = { ok: false };
      }
    }
    return parsed;
  };
  const payloadObject = (): Record<string, unknown> | null => {
    const result = parse();
    return result.ok && typeof result.value === 'object' && result.value !== null && !Array.isArray(result.value)
      ? (result.value as Record<string, unknown>)
      : null;
  };

  const auth = authenticateWebhook(
    {
      token: headers['x-gitlab-token'],
      signed: { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body: request.body },
      project: () => {
        const payload = payloadObject();
        if (!payload) return null;
        const summary = summarizeEvent(payload);
        return { path: summary.projectPath, id: summary.projectId };
      },
    },
    await deps.auth(),
    { toleranceSeconds: deps.signatureToleranceSeconds ?? DEFAULTS.signatureToleranceSeconds, nowSeconds: Math.floor(now.getTime() / 1000) },
  );
  if (!auth.ok) {
    deps.metrics?.count('rejected');
    // The reason names the failed check, never a token value.
    deps.log?.warn('webhook rejected', {
      reason: auth.reason,
      event: headers['x-gitlab-event'] === undefined ? undefined : printable(headers['x-gitlab-event'], MAX_LOGGED_HEADER_LENGTH),
    });
    return reply(401, { error: 'unauthorized: invalid or missing X-Gitlab-Token / webhook-signature' });
  }

  const payload = payloadObject();
  if (!payload) {
    return reply(400, { error: parse().ok ? 'body must be a JSON object' : 'body is not valid JSON' });
  }
  const summary = summarizeEvent(payload);
  deps.metrics?.describe?.({
    event: printable(headers['x-gitlab-event'] ?? '', MAX_LOGGED_HEADER_LENGTH),
    project: summary.projectPath === null ? null : printable(summary.projectPath, MAX_LOGGED_PROJECT_LENGTH),
  });
  return ingestDelivery(
    {
      headers,
      body: request.body,
      text: text(),
      payload,
      signed: auth.via === 'signature',
      ...(auth.project ? { authProject: auth.project } : {}),
      receivedAt: now,
      now,
    },
    deps,
  );
}
