import { z } from 'zod';

/**
 * Failure classes the worker acts on. Action code throws these; `classifyError` in
 * lib/worker decides, in one place, whether a failure is retried (the SQS message goes back on
 * the queue and eventually to the dead-letter queue) or recorded and left alone.
 *
 * Shaped like Powertools' errors: one base class, a named subclass per failure class, and the
 * original error kept as `cause` (ES2022 `ErrorOptions`), so a wrapped client error is still
 * there for a debugger or a stack trace. Outcome records and logs use `describeError`, which
 * reads the message only: a cause may quote what the message leaves out on purpose (a Teams
 * webhook URL, whose query string is its signature).
 */
export class BridgeError extends Error {
  override readonly name: string = 'BridgeError';
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The services the bridge calls; a downstream error names the one that failed. */
export type DownstreamService = 'Slack' | 'Teams' | 'Jira' | 'GitLab';

/** The bridge's own configuration is wrong: fix the named file/key/secret/variable; retrying will not help. */
export class ConfigError extends BridgeError {
  override readonly name = 'ConfigError';
}

/** The downstream asked us to slow down. `retryAfterMs` comes from its Retry-After header. */
export class DownstreamRateLimited extends BridgeError {
  override readonly name = 'DownstreamRateLimited';
  constructor(
    readonly service: DownstreamService,
    readonly retryAfterMs: number | undefined,
    message?: string,
    options?: ErrorOptions,
  ) {
    super(message ?? `${service} rate limited the request${retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)}s` : ''}`, options);
  }
}

/** The downstream is down or unreachable (5xx, network error, timeout): retry later. */
export class DownstreamUnavailable extends BridgeError {
  override readonly name = 'DownstreamUnavailable';
  constructor(
    readonly service: DownstreamService,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The downstream understood and refused the request (4xx other than 429): the same request
 * would be refused again, so it is recorded with the downstream's own words and not retried.
 */
export class DownstreamRejected extends BridgeError {
  override readonly name = 'DownstreamRejected';
  constructor(
    readonly service: DownstreamService,
    message: string,
    readonly status?: number,
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A payload that does not match GitLab's documented event schema: the same payload will not
 * match next time either, so it is recorded and not retried.
 */
export class InvalidPayload extends BridgeError {
  override readonly name = 'InvalidPayload';
}

/** A delivery that another worker is processing right now (its effect lease is held): retry later. */
export class EffectInProgress extends BridgeError {
  override readonly name = 'EffectInProgress';
  constructor(readonly key: string) {
    super(`effect ${key} is being performed by another attempt`);
  }
}

/**
 * An action that cannot act yet, but could once this delivery's earlier failed actions are
 * retried (a Jira echo whose MR parent message failed to post on a Slack 429). The worker
 * records it as failed and retryable only when the delivery is retried anyway; otherwise as
 * skipped with `otherwise`, as if the action had returned `{ skipped: otherwise }`.
 */
export class WaitsForRetry extends BridgeError {
  override readonly name = 'WaitsForRetry';
  constructor(
    message: string,
    readonly otherwise: string,
  ) {
    super(message);
  }
}

/** True when the failure is worth another attempt through the queue. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DownstreamRejected || error instanceof ConfigError || error instanceof InvalidPayload) return false;
  // A zod error escaping a planner means the same: this payload does not fit its schema.
  if (error instanceof z.ZodError) return false;
  return true;
}

/** Short text for an outcome record: never includes secrets (callers must not put them in messages). */
export function describeError(error: unknown): string {
  if (error instanceof DownstreamRejected && error.details.length > 0) {
    return `${error.message}: ${error.details.join('; ')}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
