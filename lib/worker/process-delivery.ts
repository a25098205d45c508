import type { BridgeLogger } from '../logger.js';
import type { ActionOutcome, DeliveryRecord, DeliveryStatus } from '../deliveries/record.js';
import type { DeliveryStore } from '../deliveries/store.js';
import type { EffectLedger, EffectResult } from '../effects/ledger.js';
import { DownstreamRateLimited, EffectInProgress, WaitsForRetry, describeError, isRetryable } from '../errors.js';
import { summarizeEvent } from '../gitlab/events.js';
import { printable } from '../gitlab/printable.js';
import { normalizeProjectPath } from '../gitlab/project-identity.js';
import type { QueueMessage } from '../queue/queue.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, EventHandler, PlannedAction, Planner } from './action.js';
import { deliveryKind } from './delivery-kinds.js';
import { planEvent } from './event-table.js';

export interface WorkerDeps {
  deliveries: DeliveryStore;
  effects: EffectLedger;
  state: StateStore;
  planners: readonly Planner[];
  /** Attempts before SQS dead-letters the message (the queue's maxReceiveCount). */
  maxAttempts: number;
  now?: () => Date;
  log?: BridgeLogger;
  /** Counters and timings (EMF metrics in AWS): `processed`, `failed`, `retried`, latency. */
  metrics?: WorkerMetrics;
}

export interface WorkerMetrics {
  count(name: 'processed' | 'failed' | 'retried'): void;
  /** Time from GitLab's delivery to the end of its processing, in milliseconds. */
  timing(name: 'DeliveryLatency', ms: number): void;
  /** Fields for the delivery's one summary line (ids, status, outcome counts, durations; never a secret). */
  describe?(fields: Record<string, unknown>): void;
  /** Writes the counts and the summary as one line (lib/observability.ts). */
  flush?(): void;
}

/** How many outcomes of each status (`sent`, `skipped`, `failed`): the summary line's counts. */
function outcomeCounts(outcomes: readonly ActionOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
  return counts;
}

export type DeliveryResult =
  | { kind: 'unknown' }
  | { kind: 'already-finished'; status: DeliveryStatus }
  | { kind: 'finished'; status: DeliveryStatus; outcomes: ActionOutcome[] }
  /** Some action failed in a way worth retrying: the message must go back on the queue. */
  | { kind: 'retry'; status: DeliveryStatus; outcomes: ActionOutcome[]; retryAfterMs?: number; error: string };

const FINISHED: ReadonlySet<DeliveryStatus> = new Set(['done', 'partial', 'failed', 'ignored']);

/**
 * Runs one delivery: loads the record, asks each planner for the event's actions, runs each
 * action at most once through the effect ledger, and records the outcomes. Never throws for
 * an action's failure: the result says whether the queue should retry.
 *
 * @param attempt the SQS receive count of this message (1 on the first try).
 */
export async function processDelivery(message: QueueMessage, attempt: number, deps: WorkerDeps): Promise<DeliveryResult> {
  const now = deps.now ?? (() => new Date());
  const delivery = await deps.deliveries.get(message.deliveryId);
  if (!delivery) {
    deps.log?.warn('delivery not found; it expired or was never stored', { deliveryId: message.deliveryId });
    deps.metrics?.describe?.({ deliveryId: message.deliveryId, status: 'unknown' });
    return { kind: 'unknown' };
  }
  deps.metrics?.describe?.({
    deliveryId: delivery.id,
    event: delivery.event,
    project: delivery.projectPath,
    ...(attempt > 1 ? { attempt } : {}),
  });
  if (FINISHED.has(delivery.status) && !message.replay) {
    deps.metrics?.describe?.({ status: delivery.status, alreadyFinished: true });
    return { kind: 'already-finished', status: delivery.status };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(delivery.payload);
  } catch {
    const outcomes: ActionOutcome[] = [];
    await deps.deliveries.finishAttempt(delivery.id, {
      status: 'failed',
      statusReason: 'stored payload is not JSON',
      outcomes,
      attempts: delivery.attempts + 1,
    });
    return { kind: 'finished', status: 'failed', outcomes };
  }

  const foreign = foreignProject(delivery, payload);
  if (foreign !== undefined) {
    // Auth was decided by the project the receiver saw; a payload naming another one must not
    // reach that project's threads, effect keys or caches. Not retried: it will not change.
    const outcomes: ActionOutcome[] = [];
    deps.log?.warn('delivery refused: payload project is not the authenticated project', { deliveryId: delivery.id });
    await deps.deliveries.finishAttempt(delivery.id, { status: 'failed', statusReason: `refused: ${foreign}`, outcomes, attempts: delivery.attempts + 1 });
    deps.metrics?.count('failed');
    deps.metrics?.describe?.({ status: 'failed' });
    return { kind: 'finished', status: 'failed', outcomes };
  }

  // Each planner's event table says which kinds it handles; a planner the config leaves idle
  // still counts, so its event is `done` with no actions rather than `ignored`.
  const kind = deliveryKind(delivery.objectKind);
  const planners = kind
    ? deps.planners.flatMap((planner) => {
        const handler: EventHandler | undefined = planner.events[kind];
        return handler ? [{ planner, kind, handler }] : [];
      })
    : [];
  const actions: PlannedAction[] = [];
  const planFailures: ActionOutcome[] = [];
  for (const { planner, kind, handler } of planners) {
    if (planner.enabled === false) continue;
    try {
      actions.push(...(await planEvent(handler, kind, { delivery, payload, state: deps.state, now })));
    } catch (error) {
      // A planner that throws fails this delivery only; whether it is retried depends on the
      // error, as for actions (a schema mismatch is not, a DynamoDB hiccup is).
      const retryable = isRetryable(error);
      planFailures.push({
        key: `plan:${planner.name}`,
        kind: planner.name,
        target: delivery.objectKind ?? delivery.event,
        summary: `plan ${planner.name} actions`,
        status: 'failed',
        error: describeError(error),
        retryable,
        attempts: attempt,
        at: now().toISOString(),
      });
      deps.log?.error('planner failed', { planner: planner.name, deliveryId: delivery.id, retryable, error: describeError(error) });
    }
  }

  const previous = new Map(delivery.outcomes.map((outcome) => [outcome.key, outcome]));
  const outcomes: ActionOutcome[] = [...planFailures];
  let retryAfterMs: number | undefined;
  let retryError: string | undefined = planFailures.find((failure) => failure.retryable)?.error;
  // Whether each action acted in this attempt (or before, per the ledger), for `after`.
  const acted = new Map<string, { acted: boolean; outcome: ActionOutcome }>();
  for (const action of actions) {
    const outcome = await runAction(action, delivery, message, previous.get(action.key), deps, now, acted, retryError !== undefined);
    deps.log?.debug?.('action finished', { deliveryId: delivery.id, key: action.key, status: outcome.outcome.status, retry: outcome.retry });
    acted.set(action.key, { acted: outcome.acted, outcome: outcome.outcome });
    outcomes.push(outcome.outcome);
    if (outcome.retry) {
      retryError ??= outcome.outcome.error ?? 'retryable failure';
      if (outcome.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, outcome.retryAfterMs);
    }
  }

  const attempts = delivery.attempts + 1;
  const lastAttempt = attempt >= deps.maxAttempts;
  if (retryError !== undefined && !lastAttempt) {
    await deps.deliveries.finishAttempt(delivery.id, {
      status: 'processing',
      statusReason: `attempt ${attempt} of ${deps.maxAttempts} failed: ${retryError}; retrying`,
      outcomes,
      attempts,
    });
    deps.metrics?.count('retried');
    deps.metrics?.describe?.({ status: 'processing', retrying: true, outcomes: outcomeCounts(outcomes) });
    return { kind: 'retry', status: 'processing', outcomes, error: retryError, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  // Nothing in the bridge acts on this kind of event (e.g. a replayed `ignored` delivery).
  const status = planners.length === 0 ? 'ignored' : finalStatus(outcomes);
  const statusReason =
    retryError !== undefined
      ? `gave up after ${attempt} attempts: ${retryError}`
      : planners.length === 0
        ? `no action configured for ${delivery.objectKind ?? delivery.event}`
        : undefined;
  await deps.deliveries.finishAttempt(delivery.id, { status, outcomes, attempts, ...(statusReason ? { statusReason } : {}) });
  deps.metrics?.count(status === 'done' || status === 'ignored' ? 'processed' : 'failed');
  // From when the bridge recorded it: a delivery recovered from GitLab's hook log keeps GitLab's
  // original time as `receivedAt`, hours before the bridge could have acted on it.
  const latencyMs = now().getTime() - Date.parse(delivery.recovered?.at ?? delivery.receivedAt);
  deps.metrics?.timing('DeliveryLatency', latencyMs);
  deps.metrics?.describe?.({ status, ...(outcomes.length > 0 ? { outcomes: outcomeCounts(outcomes) } : {}), latencyMs });
  if (retryError !== undefined) {
    // Last attempt: fail the message so SQS moves it to the dead-letter queue.
    return { kind: 'retry', status, outcomes, error: retryError };
  }
  return { kind: 'finished', status, outcomes };
}

/** Why the payload's project is not the one the receiver authenticated, or undefined when it is. */
function foreignProject(delivery: DeliveryRecord, payload: unknown): string | undefined {
  const expected = delivery.authProject;
  // Records from before the receiver recorded it, and payloads without a project, carry none.
  if (!expected) return undefined;
  const summary =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? summarizeEvent(payload as Record<string, unknown>)
      : { projectPath: null, projectId: null };
  const path = summary.projectPath === null ? null : normalizeProjectPath(summary.projectPath);
  const expectedPath = normalizeProjectPath(expected.path);
  if (path !== expectedPath) {
    return `payload project ${printable(path ?? '(none)', 200)} is not the authenticated project ${printable(expectedPath, 200)}`;
  }
  if (expected.id !== undefined && summary.projectId !== expected.id) {
    return `payload project id ${summary.projectId ?? '(none)'} is not the authenticated project id ${expected.id}`;
  }
  return undefined;
}

function finalStatus(outcomes: readonly ActionOutcome[]): DeliveryStatus {
  const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
  if (failed === 0) return 'done';
  return failed === outcomes.length ? 'failed' : 'partial';
}

async function runAction(
  action: PlannedAction,
  delivery: DeliveryRecord,
  message: QueueMessage,
  previous: ActionOutcome | undefined,
  deps: WorkerDeps,
  now: () => Date,
  earlier: ReadonlyMap<string, { acted: boolean; outcome: ActionOutcome }>,
  /** Whether an earlier action of this attempt failed and will be retried (see WaitsForRetry). */
  retrying = false,
): Promise<{ outcome: ActionOutcome; retry: boolean; retryAfterMs?: number; acted: boolean }> {
  const base = { key: action.key, kind: action.kind, target: action.target, summary: action.summary };
  const attempts = (previous?.status === 'failed' ? previous.attempts : 0) + 1;
  const skipReason = action.skipReason ?? notAfter(action, earlier);
  if (skipReason !== undefined) {
    return {
      outcome: { ...base, status: 'skipped', reason: skipReason, attempts: previous?.attempts ?? 0, at: now().toISOString() },
      retry: false,
      acted: false,
    };
  }
  const claim = await deps.effects.claim(action.key, delivery.id, { force: message.force === true });
  if (!claim.claimed) {
    if (claim.state === 'done') {
      const outcome: ActionOutcome = {
        ...base,
        status: 'skipped',
        reason: `already sent${claim.doneAt ? ` at ${claim.doneAt}` : ''}`,
        attempts: previous?.attempts ?? 0,
        at: now().toISOString(),
      };
      const hasResult = Object.keys(claim.result).length > 0;
      if (hasResult) outcome.result = claim.result;
      return { outcome, retry: false, acted: hasResult };
    }
    const error = new EffectInProgress(action.key);
    return { outcome: { ...base, status: 'failed', error: error.message, retryable: true, attempts, at: now().toISOString() }, retry: true, acted: false };
  }
  let ran: ActionRunResult;
  try {
    ran = await action.run(followedResults(action, earlier));
  } catch (error) {
    // Nothing to wait for when the delivery is not retried: a run-time skip (its key completes below).
    if (error instanceof WaitsForRetry && !retrying) ran = { skipped: error.otherwise };
    else return failedRun(action, error, claim.token, base, attempts, delivery, deps, now);
  }
  if (ran?.dryRun !== undefined) {
    await deps.effects.release(action.key, claim.token);
    // Printed, not sent: what follows it is printed too, as it would be sent.
    return { outcome: { ...base, status: 'skipped', reason: ran.dryRun, attempts, at: now().toISOString() }, retry: false, acted: true };
  }
  // The effect happened. Releasing the claim now would let a retry repeat it, so a failure to
  // record it is retried here; if it still fails, the claim stays pending and its lease keeps
  // other attempts off it for the lease time.
  await completeWithRetries(deps.effects, action.key, claim.token, ran?.result ?? {}, deps.log);
  if (ran?.skipped !== undefined) {
    return {
      outcome: { ...base, status: 'skipped', reason: ran.skipped, attempts, at: now().toISOString(), ...(ran.result ? { result: ran.result } : {}) },
      retry: false,
      acted: false,
    };
  }
  return {
    outcome: { ...base, status: 'sent', attempts, at: now().toISOString(), ...(ran?.result ? { result: ran.result } : {}) },
    retry: false,
    acted: true,
  };
}

/** The results of the actions `action` follows that acted, by key (empty without `after`). */
function followedResults(action: PlannedAction, earlier: ReadonlyMap<string, { acted: boolean; outcome: ActionOutcome }>): ReadonlyMap<string, EffectResult> {
  const results = new Map<string, EffectResult>();
  for (const key of action.after?.keys ?? []) {
    const entry = earlier.get(key);
    if (entry?.acted && entry.outcome.result) results.set(key, entry.outcome.result);
  }
  return results;
}

/** Why an action with `after` does not run: none of the actions it follows acted. */
function notAfter(action: PlannedAction, earlier: ReadonlyMap<string, { acted: boolean; outcome: ActionOutcome }>): string | undefined {
  if (!action.after) return undefined;
  const before = action.after.keys.map((key) => earlier.get(key));
  if (before.some((entry) => entry?.acted)) return undefined;
  const reasons = before.flatMap((entry) => {
    const why = entry?.outcome.reason ?? entry?.outcome.error;
    return why ? [why] : [];
  });
  return reasons.length > 0 ? `${action.after.otherwise}: ${reasons.join('; ')}` : action.after.otherwise;
}

async function completeWithRetries(
  effects: EffectLedger,
  key: string,
  token: string,
  result: Record<string, string>,
  log: BridgeLogger | undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await effects.complete(key, token, result);
      return;
    } catch (error) {
      if (attempt >= 3) {
        log?.error('effect performed but not recorded; its claim stays pending until the lease ends', { key, error: (error as Error).message });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A run that threw: the claim is given back, and the error's type decides whether it is retried. */
async function failedRun(
  action: PlannedAction,
  error: unknown,
  token: string,
  base: Pick<ActionOutcome, 'key' | 'kind' | 'target' | 'summary'>,
  attempts: number,
  delivery: DeliveryRecord,
  deps: WorkerDeps,
  now: () => Date,
): Promise<{ outcome: ActionOutcome; retry: boolean; retryAfterMs?: number; acted: boolean }> {
  await deps.effects.release(action.key, token);
  const retry = isRetryable(error);
  const text = describeError(error);
  deps.log?.warn('action failed', { deliveryId: delivery.id, key: action.key, retry, error: text });
  const retryAfterMs = error instanceof DownstreamRateLimited ? error.retryAfterMs : undefined;
  return {
    outcome: { ...base, status: 'failed', error: text, retryable: retry, attempts, at: now().toISOString() },
    retry,
    acted: false,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}
