import type { z } from 'zod';
import type { BridgeConfig } from '../config/schema.js';
import type { DeliveryRecord } from '../deliveries/record.js';
import type { EffectResult } from '../effects/ledger.js';
import type { GitLabAccess } from '../gitlab/api.js';
import type { DeliveryKind } from './delivery-kinds.js';
import type { BridgeLogger } from '../logger.js';
import type { Credentials } from '../secrets/credentials.js';
import type { StateStore } from '../state/store.js';

/** What the planners need from the outside world; built once per Lambda container. */
export interface PlannerDeps {
  config: BridgeConfig;
  credentials: Credentials;
  /** GitLab's API, for what a notice adds (job logs, users). Absent: notices go without it. */
  gitlab?: GitLabAccess;
  /**
   * Where notifiers print what they would send when no credentials are configured (local mode).
   * Absent in AWS: there a missing credential is a ConfigError recorded on the delivery.
   */
  print?: (text: string) => void;
  log?: BridgeLogger;
}

/** What a planner gets to decide which actions a delivery calls for. */
export interface PlanContext {
  delivery: DeliveryRecord;
  /** The delivery's payload, parsed as JSON (the event handler gets it validated by its schema). */
  payload: unknown;
  state: StateStore;
  /** The worker's clock. */
  now: () => Date;
}

/**
 * One externally visible effect: a Slack message, a Teams card, a Jira transition. The worker
 * runs it at most once per `key` (see lib/effects), records its outcome on the delivery, and
 * decides from the error type whether a failure is retried.
 */
export interface PlannedAction {
  /** Effect key, unique to the effect: `slack:<channel>:pipeline:<id>:failed`. */
  key: string;
  /** `slack`, `teams`, `jira`. */
  kind: string;
  /** Channel, webhook name or issue key. */
  target: string;
  /** Human summary for the delivery log: "pipeline #42 failed notice". */
  summary: string;
  /** When set, the action is recorded as skipped with this reason and not run. */
  skipReason?: string;
  /**
   * Runs only if one of these actions, planned before it in the same delivery, acted: sent in this
   * attempt, or done before with a non-empty result (an action skipped at run time, "already in
   * Done", records none), or printed in local mode. Otherwise the action is recorded as skipped with
   * `otherwise` and their reasons, its key left unclaimed: a retry that makes one of them act runs
   * it then, and a replay of one that did not act adds nothing. The Jira link comment follows its
   * transition this way.
   */
  after?: { keys: readonly string[]; otherwise: string };
  /**
   * Performs the effect. Returns downstream ids worth keeping (Slack `ts`...) or a skip
   * reason decided at run time (`{ skipped: "already in Done" }`). Throws the typed errors of
   * lib/errors.ts on failure (WaitsForRetry: retried only with the delivery's other failures, else
   * a skip). An action with `after` gets the results of the actions it follows
   * that acted (this attempt's, or the ledger's from an earlier one), by key: a thread reply
   * reads the `ts` of the message it answers there.
   */
  run(followed?: ReadonlyMap<string, EffectResult>): Promise<ActionRunResult>;
}

/**
 * - `result`: downstream ids to keep with the effect.
 * - `skipped`: the effect was decided against at run time (e.g. "already in Done"); its key is
 *   completed, so it is not reconsidered.
 * - `dryRun`: nothing was sent because no credentials are configured (local mode printed it
 *   instead); its key is released, so the effect happens for real once credentials are set.
 */
export type ActionRunResult = void | { result?: EffectResult; skipped?: string; dryRun?: string };

/**
 * Decides the actions a delivery calls for, from a table of the events it handles (built with
 * `on` of ./event-table.ts). Notify and Jira each provide one; the worker knows nothing else of them.
 */
export interface Planner {
  /** For logs: `notify`, `jira`. */
  name: string;
  /**
   * False when its config leaves this planner nothing to do (no routes, no `jira` section): the
   * event is then neither parsed nor planned, and counts as handled with no actions.
   */
  enabled?: boolean;
  /** Handler per `object_kind`: `{ pipeline: on(PipelineEventSchema, planPipeline) }`. */
  events: EventTable;
}

/** One event's handler: the schema its payload must match and the function planning its actions. */
export interface EventHandler<Event = unknown> {
  schema: z.ZodType<Event>;
  /**
   * A payload the schema refuses: `fail` (the default) fails the plan with InvalidPayload,
   * recorded and not retried; `skip` plans nothing, for a handler that only reads what it can.
   */
  ifInvalid: 'fail' | 'skip';
  plan(event: Event, context: PlanContext): PlannedAction[] | Promise<PlannedAction[]>;
}

/**
 * A planner's events, in the spirit of octokit's `webhooks.on(event, handler)`. Keys are the
 * `object_kind`s the receiver queues (../gitlab/object-kinds.ts). Adding an event: its schema (../gitlab/schemas.ts), its kind
 * in object-kinds.ts (the receiver's list, kept apart so the receiver bundle stays small; a
 * test keeps it equal to the tables' keys), and one line in the planner's table.
 */
// `any`: each entry has its own event type; `on` checks a handler against its schema where the
// table is written, and the worker only passes it what that schema parsed.
export type EventTable = { readonly [Kind in DeliveryKind]?: EventHandler<any> };
