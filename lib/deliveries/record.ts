/**
 * The delivery record: what the bridge received from GitLab and what it did with it. It
 * mirrors GitLab's own webhook event log (request headers with the token redacted, payload,
 * status) plus the outcome of every action the worker ran.
 */

export const DELIVERY_STATUSES = ['queued', 'processing', 'done', 'partial', 'failed', 'ignored'] as const;
/**
 * - `queued`: durable and on the queue, not attempted yet.
 * - `processing`: attempted at least once; a retryable failure sent it back to the queue.
 * - `done`: every action was sent or skipped on purpose.
 * - `partial`: some actions were sent, others failed for good (e.g. Jira answered 404).
 * - `failed`: nothing could be sent and no attempts are left (it is in the dead-letter queue).
 * - `ignored`: an event the bridge does not act on; recorded, never queued.
 */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value);
}

/** What one action (a Slack post, a Teams card, a Jira transition...) ended as. */
export interface ActionOutcome {
  /** The effect key that makes the action happen once, e.g. `slack:C123:pipeline:42:failed`. */
  key: string;
  /** Which integration: `slack`, `teams`, `jira`. */
  kind: string;
  /** Channel, webhook name or issue key. */
  target: string;
  /** Human summary: "pipeline #42 failed notice". */
  summary: string;
  status: 'sent' | 'skipped' | 'failed';
  /** Why it was skipped: filtered, already sent, no transition... */
  reason?: string;
  /** Why it failed (never contains secrets). */
  error?: string;
  /** Whether the failure will be retried through the queue. */
  retryable?: boolean;
  /** Number of attempts made for this action so far. */
  attempts: number;
  /** ISO time the outcome was recorded. */
  at: string;
  /** Downstream identifiers worth keeping (Slack `ts`, Jira comment id...). */
  result?: Record<string, string>;
}

/** The fields of a delivery that listings show; everything but headers, payload and outcomes. */
export interface DeliverySummary {
  id: string;
  receivedAt: string;
  /** `X-Gitlab-Event` header, e.g. `Pipeline Hook`. */
  event: string;
  /** `object_kind` of the payload, or `event_name` for system-style hooks without one. */
  objectKind: string | null;
  projectId: number | null;
  projectPath: string | null;
  ref: string | null;
  status: DeliveryStatus;
  /** Why the status is what it is, e.g. "event not handled: Member Hook". */
  statusReason?: string;
  attempts: number;
  updatedAt: string;
  /** Epoch seconds; DynamoDB's TTL removes the record after this. */
  expiresAt: number;
}

/**
 * The project the receiver authenticated the delivery for (lib/gitlab/authenticate.ts): the
 * worker refuses a payload that names another one.
 */
export interface AuthProject {
  /** Normalised path (normalizeProjectPath). */
  path: string;
  /** Present when the GitLab secret's entry for the path records the project id. */
  id?: number;
}

/**
 * Where a delivery recovered from GitLab's hook event log came from (docs/recovery.md): GitLab
 * logged it as failed and never delivered it; `receivedAt` is when GitLab tried.
 */
export interface DeliveryRecovery {
  /** The project hook whose event log held it. */
  hookId: number;
  /** GitLab's hook event (hook log) id, as `GET /projects/:id/hooks/:hook_id/events` shows it. */
  hookEventId: number;
  /** When recovery recorded it. */
  at: string;
}

export interface DeliveryRecord extends DeliverySummary {
  /** Absent on records written before the receiver recorded it, and for payloads without a project. */
  authProject?: AuthProject;
  /** Present when the delivery was recovered from GitLab's hook event log (`source: recovered`). */
  recovered?: DeliveryRecovery;
  /** GitLab's documented request headers (storedHeaders), lower-cased, tokens replaced by `[REDACTED]`. */
  headers: Record<string, string>;
  /** The request body exactly as received (UTF-8 JSON text). */
  payload: string;
  outcomes: ActionOutcome[];
}

/** Replaces secret-bearing header values the way GitLab's own event log shows them. */
export const REDACTED = '[REDACTED]';
const SECRET_HEADERS = new Set(['x-gitlab-token', 'authorization', 'cookie', 'webhook-signature']);

/** Lower-cases header names and redacts the ones that carry secrets. */
export function redactHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = SECRET_HEADERS.has(lower) ? REDACTED : value;
  }
  return out;
}

/**
 * The request headers GitLab documents for webhooks ("Webhook receiver requirements" and
 * "Signing tokens" in GitLab's webhook docs). Only these are stored: a custom header
 * configured on the hook may carry a credential for something else, and a denylist cannot
 * know its name.
 */
const STORED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'user-agent',
  'idempotency-key',
  'x-gitlab-event',
  'x-gitlab-webhook-uuid',
  'x-gitlab-instance',
  'x-gitlab-event-uuid',
  'x-gitlab-token',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/** The headers a delivery record keeps: GitLab's documented ones, secrets redacted. */
export function storedHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (STORED_HEADERS.has(lower)) kept[lower] = value;
  }
  return redactHeaders(kept);
}
