/**
 * Storm folding at a Slack channel: once `threshold` failure notices went top-level within
 * `windowSeconds`, the next failures fold into one rollup message ("7 pipelines failing in
 * acme/*", a line each), updated in place as more arrive and as their refs go green.
 *
 * State (all in the state store):
 * - `<target>:storm`: the top-level failure notices of the window and the open rollup; changed
 *   under the lock `<target>:storm:lock`, so two failures deciding at once count each other.
 * - `<target>:rollup:<started ms>`: one rollup's lines and its Slack ts; changed and rendered
 *   under `<rollup key>:lock`, each writer re-rendering from what is stored, so the message shows
 *   every line written before the last writer read.
 * A line is keyed by its failure notice's effect key: a retry of a folded failure adds nothing.
 */
import { BridgeError } from '../errors.js';
import { StormSchema, type Route, type StormOptions } from '../routing/schema.js';
import { withStateLock } from '../state/lock.js';
import type { StateStore } from '../state/store.js';
import type { Outlets, Sent, SlackMessageIds } from './outlets.js';
import type { PipelineFacts } from './pipeline-facts.js';
import { formatStormRollup, MAX_ROLLUP_LINES, type RollupLine } from './slack/rollup.js';
import { isMissingMessage } from './slack/slack-sender.js';

export type { RollupLine } from './slack/rollup.js';

export interface StormState {
  /** Top-level failure notices posted within the window, oldest first. */
  posted: Array<{ at: number; line: RollupLine }>;
  /** The rollup failures fold into while the storm lasts: open while one folded within the window. */
  open?: { key: string; lastAt: number };
  /** Recent rollups, newest last: a recovery marks its ref's lines in them. */
  rollups?: string[];
}

export interface RollupState {
  /** The channel as the route names it (posting); `channelId` is Slack's id for chat.update. */
  channel: string;
  ts?: string;
  channelId?: string;
  lines: RollupLine[];
}

export function stormKey(targetId: string): string {
  return `${targetId}:storm`;
}

/** Lines a rollup keeps stored (twice what it shows): about 300 bytes each, far below DynamoDB's 400 KB item. */
const MAX_STORED_LINES = MAX_ROLLUP_LINES * 2;
/** Rollups a recovery looks through: a storm rarely outlives a few windows. */
const MAX_RECENT_ROLLUPS = 5;
/** Rollup state lives as long as a red streak may (a recovery weeks later still marks its line). */
const ROLLUP_TTL_DAYS = 30;
/** A post (paced, up to 8 s), a state write and Slack's retries. */
const LOCK_LEASE_SECONDS = 60;
/** How long a failure waits for the storm or a rollup before going back to the queue. */
export const STORM_WAIT = { attempts: 40, intervalMs: 250 };

/** Another failure is updating the storm or its rollup at this channel: retried through the queue. */
export class StormBusy extends BridgeError {
  override readonly name = 'StormBusy';
  constructor(readonly key: string) {
    super(`${key} is being updated by another failure; retrying to join it`);
  }
}

function withLock<T>(state: StateStore, key: string, owner: string, work: () => Promise<T>): Promise<T> {
  return withStateLock(state, `${key}:lock`, owner, { leaseSeconds: LOCK_LEASE_SECONDS, wait: STORM_WAIT, busy: () => new StormBusy(key) }, work);
}

/** Storm folding when no route sending to a destination sets `storm`: 5 notices in 120 s (issue 14). */
export const DEFAULT_STORM: StormOptions = StormSchema.parse({});

/**
 * The storm options of the routes sending to a destination. Folding is on by default: undefined
 * (no folding) when any of them sets `storm: false` (as `mentionAuthors: false` does); otherwise
 * the lowest threshold and the longest window among those that set `storm`, the defaults when
 * none does.
 */
export function stormOptionsOf(routes: readonly Route[]): StormOptions | undefined {
  const storms = routes.map((route) => route.options.storm);
  if (storms.includes(false)) return undefined;
  const set = storms.filter((storm): storm is StormOptions => storm !== undefined && storm !== false);
  if (set.length === 0) return DEFAULT_STORM;
  return { threshold: Math.min(...set.map((storm) => storm.threshold)), windowSeconds: Math.max(...set.map((storm) => storm.windowSeconds)) };
}

/** The rollup line of a failure notice. */
export function rollupLine(effect: string, streak: string, facts: PipelineFacts): RollupLine {
  return {
    effect,
    streak,
    projectPath: facts.projectPath,
    projectUrl: facts.projectUrl,
    ref: facts.ref,
    refUrl: facts.refUrl,
    pipelineId: facts.pipelineId,
    pipelineUrl: facts.pipelineUrl,
  };
}

export type StormDecision = { fold: false } | { fold: true; rollup: string };

/**
 * Whether the failure notice of `line` goes top-level or folds, decided and recorded under the
 * storm lock: top-level while fewer than `threshold` went top-level within the window and no
 * rollup is open, else into the open rollup (a new one, listing the window's notices first, when
 * none is). The same notice asking again (a retry) gets the same answer.
 */
export async function decideStorm(
  state: StateStore,
  targetId: string,
  channel: string,
  options: StormOptions,
  line: RollupLine,
  now: Date,
): Promise<StormDecision> {
  const key = stormKey(targetId);
  return withLock(state, key, line.effect, async () => {
    const at = now.getTime();
    const since = at - options.windowSeconds * 1000;
    const storm = (await state.get<StormState>(key)) ?? { posted: [] };
    if (storm.posted.some((entry) => entry.line.effect === line.effect)) return { fold: false };
    // A folded failure retried after its rollup closed (a long Retry-After) stays in that rollup.
    if (storm.open && (await state.get<RollupState>(storm.open.key))?.lines.some((known) => known.effect === line.effect)) {
      return { fold: true, rollup: storm.open.key };
    }
    const open = storm.open && storm.open.lastAt >= since ? storm.open : undefined;
    const posted = storm.posted.filter((entry) => entry.at >= since);
    // The storm record names the recent rollups a recovery weeks later still marks: kept as long as they.
    const ttl = { ttlDays: ROLLUP_TTL_DAYS };
    if (!open && posted.length < options.threshold) {
      await state.put<StormState>(key, { ...storm, posted: [...posted, { at, line }] }, ttl);
      return { fold: false };
    }
    let rollup = open?.key;
    if (!rollup) {
      rollup = `${targetId}:rollup:${at}`;
      // Nobody knows this key before the storm record names it: written here without its lock.
      await state.put<RollupState>(rollup, { channel, lines: posted.map((entry) => ({ ...entry.line, posted: true })) }, { ttlDays: ROLLUP_TTL_DAYS });
    }
    const rollups = [...(storm.rollups ?? []).filter((known) => known !== rollup), rollup].slice(-MAX_RECENT_ROLLUPS);
    await state.put<StormState>(key, { posted, open: { key: rollup, lastAt: at }, rollups }, ttl);
    return { fold: true, rollup };
  });
}

/**
 * Lists `line` (a failure that went in its ref's thread) in the destination's rollup when one is
 * open (a failure folded within the window); undefined when none is.
 */
export async function listInOpenRollup(
  state: StateStore,
  outlets: Outlets,
  targetId: string,
  options: StormOptions,
  line: RollupLine,
  now: Date,
): Promise<FoldedResult | undefined> {
  const open = (await state.get<StormState>(stormKey(targetId)))?.open;
  if (!open || open.lastAt < now.getTime() - options.windowSeconds * 1000) return undefined;
  const stored = await state.get<RollupState>(open.key);
  if (!stored) return undefined;
  return foldIntoRollup(state, outlets, open.key, stored.channel, line);
}

/** What a folded failure's effect keeps: the rollup message (ts, channel) and its state key. */
export type FoldedResult = Sent<SlackMessageIds & { rollup: string }>;

/**
 * Adds `line` to the rollup (once per effect key) and shows the rollup as stored: posts it the
 * first time, updates it in place after (a rollup someone deleted is posted again).
 */
export async function foldIntoRollup(state: StateStore, outlets: Outlets, rollupKey: string, channel: string, line: RollupLine): Promise<FoldedResult> {
  return withLock(state, rollupKey, line.effect, async () => {
    const stored = (await state.get<RollupState>(rollupKey)) ?? { channel, lines: [] };
    const next = stored.lines.some((known) => known.effect === line.effect) ? stored : { ...stored, lines: [...stored.lines, line].slice(-MAX_STORED_LINES) };
    if (next !== stored) await state.put<RollupState>(rollupKey, next, { ttlDays: ROLLUP_TTL_DAYS });
    return showRollup(state, outlets, rollupKey, next);
  });
}

/**
 * Marks the unfixed lines of the ref's streak `streak` fixed by the green pipeline, in `rollupKey`
 * and in the destination's recent rollups, and updates each rollup that changed. Returns the
 * rollup message that shows the recovery (the last one changed), or undefined when none listed it.
 */
export async function reflectRecovery(
  state: StateStore,
  outlets: Outlets,
  targetId: string,
  streak: string,
  fixedBy: { pipelineId: number; pipelineUrl: string },
  rollupKey?: string,
): Promise<FoldedResult | undefined> {
  const storm = await state.get<StormState>(stormKey(targetId));
  const keys = [...new Set([...(rollupKey ? [rollupKey] : []), ...(storm?.rollups ?? [])])];
  let shown: FoldedResult | undefined;
  for (const key of keys) {
    // Read before locking: a rollup that lists no unfixed line of the streak now is left alone,
    // as if this recovery had taken the lock first (a line that a concurrent failure adds after
    // this read stays unfixed then too). Skips a lock and its release (2 write units) for each
    // recent rollup of the destination that never listed the ref.
    if (!(await state.get<RollupState>(key))?.lines.some((line) => line.streak === streak && !line.fixedBy)) continue;
    const result = await withLock(state, key, `${streak}:fixed:${fixedBy.pipelineId}`, async () => {
      const stored = await state.get<RollupState>(key);
      if (!stored || !stored.lines.some((line) => line.streak === streak && !line.fixedBy)) return undefined;
      const next = { ...stored, lines: stored.lines.map((line) => (line.streak === streak && !line.fixedBy ? { ...line, fixedBy } : line)) };
      await state.put<RollupState>(key, next, { ttlDays: ROLLUP_TTL_DAYS });
      return showRollup(state, outlets, key, next);
    });
    if (result) shown = result;
  }
  return shown;
}

/** Call under the rollup's lock: chat.update of the rollup, or its first post (its ts then stored). */
async function showRollup(state: StateStore, outlets: Outlets, rollupKey: string, rollup: RollupState): Promise<FoldedResult> {
  const message = formatStormRollup(rollup.lines);
  const named = (sent: Sent<SlackMessageIds>): FoldedResult =>
    sent.dryRun !== undefined ? { dryRun: sent.dryRun } : { result: { ts: sent.result.ts, channel: sent.result.channel, rollup: rollupKey } };
  if (rollup.ts && rollup.channelId) {
    try {
      return named(await outlets.slackUpdate(rollup.channelId, rollup.ts, message));
    } catch (error) {
      if (!isMissingMessage(error)) throw error;
    }
  }
  const sent = await outlets.slackPost(rollup.channel, message);
  // A post whose ts could not be stored is posted again by the retry: the one window for a
  // second rollup message, as for any notice whose state write fails after it went out.
  if (sent.result) await state.put<RollupState>(rollupKey, { ...rollup, ts: sent.result.ts, channelId: sent.result.channel }, { ttlDays: ROLLUP_TTL_DAYS });
  return named(sent);
}
