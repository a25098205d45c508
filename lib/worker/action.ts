import type { BridgeConfig } from '../config/schema.js';
import type { DeliveryRecord } from '../deliveries/record.js';
import type { EffectResult } from '../effects/ledger.js';
import type { StateStore } from '../state/store.js';

/** What a planner gets to decide which actions a delivery calls for. */
export interface PlanContext {
  delivery: DeliveryRecord;
  /** The delivery's payload, parsed as JSON (validated by each planner with its own schema). */
  payload: unknown;
  config: BridgeConfig;
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
   * Performs the effect. Returns downstream ids worth keeping (Slack `ts`...) or a skip
   * reason decided at run time (`{ skipped: "already in Done" }`). Throws the typed errors of
   * lib/errors.ts on failure.
   */
  run(): Promise<ActionRunResult>;
}

/**
 * - `result`: downstream ids to keep with the effect.
 * - `skipped`: the effect was decided against at run time (e.g. "already in Done"); its key is
 *   completed, so it is not reconsidered.
 * - `dryRun`: nothing was sent because no credentials are configured (local mode printed it
 *   instead); its key is released, so the effect happens for real once credentials are set.
 */
export type ActionRunResult = void | { result?: EffectResult; skipped?: string; dryRun?: string };

/** Decides the actions for one kind of event. Notify and Jira each provide one. */
export interface ActionPlanner {
  /** For logs: `notify`, `jira`. */
  name: string;
  /** `object_kind`s this planner acts on. */
  objectKinds: readonly string[];
  plan(context: PlanContext): Promise<PlannedAction[]>;
}
