import { createHash } from 'node:crypto';
import { encodeBody } from '../deliveries/body-codec.js';
import { storedHeaders, type DeliveryStatus } from '../deliveries/record.js';
import type { DeliveryStore } from '../deliveries/store.js';
import { DEFAULTS } from '../defaults.js';
import { authenticateWebhook } from '../gitlab/authenticate.js';
import { summarizeEvent } from '../gitlab/events.js';
import { isHandledObjectKind } from '../gitlab/object-kinds.js';
import { printable } from '../gitlab/printable.js';
import { templateOutputReason } from '../gitlab/template-output.js';
import type { WebhookAuth } from '../gitlab/webhook-auth.js';
import type { BridgeLogger } from '../logger.js';
import type { DeliveryQueue } from '../queue/queue.js';

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

/** Counters the receiver emits (EMF metrics in AWS). */
export interface ReceiverMetrics {
  count(name: 'received' | 'rejected' | 'duplicate' | 'ignored' | 'failed' | 'slackRejected'): void;
}

export interface ReceiverDeps {
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
  /** Current tokens and signing keys (cached by the caller). */
  auth: () => Promise<WebhookAuth>;
  now?: () => Date;
  /** Days a record is kept (DynamoDB TTL). Default DEFAULTS.retentionDays. */
  retentionDays?: number;
  /** Largest accepted body. Default DEFAULTS.maxBodyBytes. */
  maxBodyBytes?: number;
  /** Allowed clock skew for signed webhooks. Default DEFAULTS.signatureToleranceSeconds. */
  signatureToleranceSeconds?: number;
  metrics?: ReceiverMetrics;
  log?: BridgeLogger;
}

/**
 * DynamoDB items are at most 400 KB. A body that compresses beyond this (only megabytes of
 * unusual JSON do) cannot be stored whole, so it is refused with 413 rather than truncated.
 */
const MAX_STORED_BODY_BYTES = 350 * 1024;
/**
 * The project path is the key of the byProject index, and DynamoDB refuses an index key over
 * 2,048 bytes (the write would fail as a 5xx). No GitLab path comes close; anything longer is
 * refused as bad input.
 */
const MAX_PROJECT_PATH_BYTES = 1024;
/** Idempotency keys are UUIDs; anything far longer is not GitLab's. */
const MAX_ID_LENGTH = 200;
/** Header text in a log line: enough to recognise `Merge Request Hook`, too short to flood a log. */
const MAX_LOGGED_HEADER_LENGTH = 64;

/**
 * The delivery id. GitLab's Idempotency-Key is stable across its automatic retries and manual
 * resends; signed deliveries carry webhook-id. X-Gitlab-Event-UUID alone is not an id: GitLab
 * gives every webhook triggered by one chain of webhooks the same Event-UUID, so it is hashed
 * with the body: distinct events get distinct ids, a resend of the same body the same one.
 */
function deliveryId(headers: Record<string, string | undefined>, body: Uint8Array, signed: boolean): string {
  // A verified signature covers webhook-id (GitLab sets it to the Idempotency-Key), not the
  // Idempotency-Key header: a captured signed request resent under a new key is the same delivery.
  const id = (signed ? headers['webhook-id'] : undefined) ?? headers['idempotency-key'] ?? headers['webhook-id'];
  if (id !== undefined) return id;
  const hash = createHash('sha256')
    .update(headers['x-gitlab-event-uuid'] ?? '')
    .update('\n')
    .update(body)
    .digest('hex');
  return `sha256-${hash}`;
}

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
  const event = headers['x-gitlab-event'];
  if (!event) return reply(400, { error: 'missing X-Gitlab-Event header' });

  const id = deliveryId(headers, request.body, auth.via === 'signature');
  if (id.length > MAX_ID_LENGTH || !/^[\w.:-]+$/.test(id)) return reply(400, { error: 'Idempotency-Key is not a valid id' });

  const summary = summarizeEvent(payload);
  // A hook's custom webhook template makes GitLab send the template's output instead of the
  // event: recorded `ignored` with why (and answered 2xx, so GitLab does not count failures and
  // disable the hook), never queued into a schema failure. Only authenticated requests get here.
  const templateReason = templateOutputReason(event, payload);
  const handled = templateReason === null && isHandledObjectKind(summary.objectKind);
  const status: DeliveryStatus = handled ? 'queued' : 'ignored';
  if (summary.projectPath !== null && Buffer.byteLength(summary.projectPath) > MAX_PROJECT_PATH_BYTES) {
    return reply(400, { error: `project path is longer than ${MAX_PROJECT_PATH_BYTES} bytes` });
  }
  const payloadText = text();
  // Bytes, not characters: a text of multi-byte characters can be short in characters and
  // still not fit a record.
  if (request.body.byteLength > MAX_STORED_BODY_BYTES) {
    // Only bodies that might not fit are compressed here to measure.
    if (encodeBody({ headers: {}, payload: payloadText }).byteLength > MAX_STORED_BODY_BYTES) {
      return reply(413, { error: 'payload too large to store even compressed' });
    }
  }
  deps.metrics?.count('received');

  let created;
  try {
    created = await deps.deliveries.create({
      id,
      receivedAt: now.toISOString(),
      event,
      ...summary,
      ...(auth.project ? { authProject: auth.project } : {}),
      headers: storedHeaders(headers),
      payload: payloadText,
      status,
      ...(handled ? {} : { statusReason: templateReason ?? `event not handled: ${event}${summary.objectKind ? ` (${summary.objectKind})` : ''}` }),
      expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? DEFAULTS.retentionDays) * 86_400,
    });
  } catch (error) {
    deps.metrics?.count('failed');
    deps.log?.error('could not store delivery', { deliveryId: id, error: (error as Error).message });
    return reply(503, { error: "could not record the delivery; resend it from the webhook's Recent events (GitLab does not retry by itself)", deliveryId: id });
  }

  if (!created.created) {
    deps.metrics?.count('duplicate');
    // A duplicate still `queued` may be one whose hand-off failed after the record was
    // written (we answered 5xx and the delivery was resent): queue it again. The worker's effect keys
    // make a second message harmless.
    if (created.existing.status !== 'queued') {
      return reply(200, { deliveryId: id, duplicate: true, status: created.existing.status });
    }
  }

  if (status === 'ignored') {
    deps.metrics?.count('ignored');
    return reply(202, { deliveryId: id, status });
  }
  try {
    await deps.queue.send({ v: 1, deliveryId: id });
  } catch (error) {
    deps.metrics?.count('failed');
    deps.log?.error('could not queue delivery', { deliveryId: id, error: (error as Error).message });
    return reply(503, {
      error: "recorded but could not queue the delivery; resend it from the webhook's Recent events (GitLab does not retry by itself)",
      deliveryId: id,
    });
  }
  return reply(202, { deliveryId: id, status, ...(created.created ? {} : { duplicate: true, requeued: true }) });
}
