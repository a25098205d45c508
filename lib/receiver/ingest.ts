import { createHash } from 'node:crypto';
import { encodeBody } from '../deliveries/body-codec.js';
import { storedHeaders, type AuthProject, type DeliveryRecovery, type DeliveryStatus } from '../deliveries/record.js';
import type { DeliveryStore } from '../deliveries/store.js';
import { DEFAULTS } from '../defaults.js';
import { summarizeEvent } from '../gitlab/events.js';
import { ignoredHandledReason, isHandledObjectKind } from '../gitlab/object-kinds.js';
import { printable } from '../gitlab/printable.js';
import { templateOutputReason } from '../gitlab/template-output.js';
import type { BridgeLogger } from '../logger.js';
import type { DeliveryQueue } from '../queue/queue.js';

/** Counters the receiver emits (EMF metrics in AWS). */
export interface ReceiverMetrics {
  count(name: 'received' | 'rejected' | 'duplicate' | 'ignored' | 'failed' | 'slackRejected'): void;
  /** Fields for the request's one summary line (ids, status, durations; never a secret). */
  describe?(fields: Record<string, unknown>): void;
  /** Writes the counts and the summary as one line: once per invocation (lib/observability.ts). */
  flush?(): void;
}

/** What recording and queueing a delivery needs: the receiver's and recovery's shared dependencies. */
export interface IngestDeps {
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
  /** Days a record is kept (DynamoDB TTL). Default DEFAULTS.retentionDays. */
  retentionDays?: number;
  metrics?: ReceiverMetrics;
  log?: BridgeLogger;
}

/** A delivery whose sender is already trusted: a webhook that passed its token or signature, or a recovered hook event. */
export interface IngestInput {
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  /** The body as received (the id of a delivery without Idempotency-Key hashes it). */
  body: Uint8Array;
  /** The body as UTF-8 text, stored in the record. */
  text: string;
  payload: Record<string, unknown>;
  /** Whether a verified signature covers `webhook-id`. */
  signed: boolean;
  authProject?: AuthProject;
  /** When the delivery was received (a recovered one: when GitLab tried to send it). */
  receivedAt: Date;
  /** When the record is written (its TTL counts from here). */
  now: Date;
  /** Set for a delivery recovered from GitLab's hook event log. */
  recovered?: DeliveryRecovery;
}

export interface IngestResult {
  statusCode: number;
  body: Record<string, unknown>;
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
/** A payload's text in a record's status reason: a job status is a word; anything longer is not GitLab's. */
const MAX_STATUS_REASON_LENGTH = 120;

/**
 * The delivery id. GitLab's Idempotency-Key is stable across its automatic retries and manual
 * resends; signed deliveries carry webhook-id. X-Gitlab-Event-UUID alone is not an id: GitLab
 * gives every webhook triggered by one chain of webhooks the same Event-UUID, so it is hashed
 * with the body: distinct events get distinct ids, a resend of the same body the same one.
 */
export function deliveryId(headers: Record<string, string | undefined>, body: Uint8Array, signed: boolean): string {
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

/** Whether `id` can be a delivery id (the receiver answers 400 otherwise). */
export function isValidDeliveryId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && /^[\w.:-]+$/.test(id);
}

/**
 * Records a trusted delivery durably in the delivery log and queues it for the worker: the
 * receiver after authenticating a webhook, recovery for an event from GitLab's hook log. One
 * code path, so a recovered delivery gets the same checks, record and exactly-once effects.
 * Answers like the receiver: 4xx for bad input, 503 when it could not be made durable.
 */
export async function ingestDelivery(input: IngestInput, deps: IngestDeps): Promise<IngestResult> {
  const { headers, payload } = input;
  const event = headers['x-gitlab-event'];
  if (!event) return reply(400, { error: 'missing X-Gitlab-Event header' });

  const id = deliveryId(headers, input.body, input.signed);
  if (!isValidDeliveryId(id)) return reply(400, { error: 'Idempotency-Key is not a valid id' });

  const summary = summarizeEvent(payload);
  // A hook's custom webhook template makes GitLab send the template's output instead of the
  // event: recorded `ignored` with why (and answered 2xx, so GitLab does not count failures and
  // disable the hook), never queued into a schema failure. Only authenticated requests get here.
  const templateReason = templateOutputReason(event, payload);
  const handled = templateReason === null && isHandledObjectKind(summary.objectKind);
  // A handled kind the worker has nothing to do for (a job event that is not a success).
  const skipped = handled ? ignoredHandledReason(summary.objectKind, payload) : undefined;
  const status: DeliveryStatus = handled && skipped === undefined ? 'queued' : 'ignored';
  if (summary.projectPath !== null && Buffer.byteLength(summary.projectPath) > MAX_PROJECT_PATH_BYTES) {
    return reply(400, { error: `project path is longer than ${MAX_PROJECT_PATH_BYTES} bytes` });
  }
  // Bytes, not characters: a text of multi-byte characters can be short in characters and
  // still not fit a record.
  if (input.body.byteLength > MAX_STORED_BODY_BYTES) {
    // Only bodies that might not fit are compressed here to measure.
    if (encodeBody({ headers: {}, payload: input.text }).byteLength > MAX_STORED_BODY_BYTES) {
      return reply(413, { error: 'payload too large to store even compressed' });
    }
  }
  deps.metrics?.count('received');

  let created;
  try {
    created = await deps.deliveries.create({
      id,
      receivedAt: input.receivedAt.toISOString(),
      event,
      ...summary,
      ...(input.authProject ? { authProject: input.authProject } : {}),
      ...(input.recovered ? { recovered: input.recovered } : {}),
      headers: storedHeaders(headers),
      payload: input.text,
      status,
      ...(handled
        ? skipped === undefined
          ? {}
          : { statusReason: printable(skipped, MAX_STATUS_REASON_LENGTH) }
        : { statusReason: templateReason ?? `event not handled: ${event}${summary.objectKind ? ` (${summary.objectKind})` : ''}` }),
      expiresAt: Math.floor(input.now.getTime() / 1000) + (deps.retentionDays ?? DEFAULTS.retentionDays) * 86_400,
    });
  } catch (error) {
    deps.metrics?.count('failed');
    deps.log?.error('could not store delivery', { deliveryId: id, error: (error as Error).message });
    return reply(503, { error: "could not record the delivery; resend it from the webhook's Recent events (GitLab does not retry by itself)", deliveryId: id });
  }

  deps.log?.debug?.('delivery recorded', { deliveryId: id, status, created: created.created });
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
  deps.log?.debug?.('delivery queued', { deliveryId: id });
  return reply(202, { deliveryId: id, status, ...(created.created ? {} : { duplicate: true, requeued: true }) });
}

function reply(statusCode: number, body: Record<string, unknown>): IngestResult {
  return { statusCode, body };
}
