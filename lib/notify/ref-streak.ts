/**
 * A ref's red streak at one destination: the failures since the ref last went green, the
 * notice they thread under (its parent), and how a new failure, a late one or a replay is told
 * apart. Pure decisions plus the per-ref lock; the actions that post are in pipeline-actions.ts.
 */
import { BridgeError } from '../errors.js';
import { withStateLock } from '../state/lock.js';
import type { StateStore } from '../state/store.js';
import type { PipelineFacts } from './pipeline-facts.js';

/**
 * A destination's failure streak on a ref (state key `<target>:ref:<project key>:<ref>`): the
 * first failing pipeline, the parent notice later failures thread under and the recovery
 * replies to, and how many pipelines have failed since. `resolvedBy` set means the ref is green
 * again (the last finished pipeline passed); the next failure starts a new streak.
 */
export interface RefFailureState {
  /** The first failing pipeline of the streak ("since #N"). */
  pipelineId: number;
  pipelineUrl: string;
  /** Slack only: the parent notice's message ts and channel id. */
  ts?: string;
  channel?: string;
  /**
   * Facts of the parent notice, to re-render it (failing for K pipelines, fixed): the first
   * failure's, or those of the failure whose notice replaced a deleted parent.
   */
  facts: PipelineFacts;
  /** The pipeline whose success ended the streak. */
  resolvedBy?: number;
  /** Round of the first failing pipeline; absent in records written before streaks (then `facts.round`). */
  firstRound?: string;
  /** Failed pipelines in the streak, the first included; absent before streaks (then 1). */
  failureCount?: number;
  /** The newest failure of the streak: orders late deliveries; its failed jobs say "also failing on". */
  latest?: FailedRun & { jobNames: string[] };
  /** GitLab's `finished_at` of the first failure, when it sent one. */
  since?: string;
  /**
   * Slack member id the parent notice mentions as its commit author, so every re-render of the
   * parent (streak count, flaky marks, fixed) keeps the mention instead of the plain name.
   */
  authorMention?: string;
  /**
   * The runs counted in `failureCount` (`<pipeline id>:<round>`), newest last, at most
   * MAX_COUNTED_RUNS: a replayed or retried failure already counted is not counted again.
   */
  counted?: string[];
  /**
   * Slack, storm folding (./rollup.ts): the rollup message's state key when the streak's first
   * failure was folded into it instead of posted (then there is no `ts`): later failures and the
   * recovery go to that rollup's line instead of a thread.
   */
  rollup?: string;
  /** The parent notice offers "Retry failed jobs" (docs/notices.md: Retry from Slack); its re-renders keep it. */
  retryOffered?: boolean;
}

/** A pipeline run: its id and round (finish time as digits, '' when unknown). */
export interface FailedRun {
  pipelineId: number;
  round: string;
}

/** What a notice says about the streak it belongs to. */
export interface StreakInfo {
  first: { pipelineId: number; pipelineUrl: string };
  /** Failed pipelines so far, the first included. */
  count: number;
  since?: string;
}

/** Failed jobs of this pipeline that also fail on the MR's target branch. */
export interface AlsoFailing {
  branch: string;
  jobs: string[];
}

export function refFailureKey(targetId: string, project: string, ref: string): string {
  return `${targetId}:ref:${project}:${ref}`;
}

/**
 * Counted runs kept per streak. A replay is of a recent delivery, so the last 50 runs are
 * enough to recognise one; an older run replayed past that counts once more (the count says
 * "failing for K pipelines", off by one in that rare case).
 */
const MAX_COUNTED_RUNS = 50;

function runId(run: FailedRun): string {
  return `${run.pipelineId}:${run.round}`;
}

/** The runs a streak has counted; a record from before `counted` has counted its first and latest failure. */
function countedRuns(state: RefFailureState): string[] {
  return state.counted ?? [...new Set([runId({ pipelineId: state.pipelineId, round: firstRound(state) }), runId(latestFailure(state))])];
}

/** Job names kept per streak for "also failing on": bounded, like the jobs a notice lists. */
const MAX_JOB_NAMES = 50;

export function isRed(state: RefFailureState | undefined): state is RefFailureState {
  return state !== undefined && state.resolvedBy === undefined;
}

export function firstRound(state: RefFailureState): string {
  return state.firstRound ?? state.facts.round ?? '';
}

export function failureCount(state: RefFailureState): number {
  return state.failureCount ?? 1;
}

export function latestFailure(state: RefFailureState): FailedRun {
  return state.latest ? { pipelineId: state.latest.pipelineId, round: state.latest.round } : { pipelineId: state.pipelineId, round: firstRound(state) };
}

export function streakInfo(state: RefFailureState): StreakInfo {
  return {
    first: { pipelineId: state.pipelineId, pipelineUrl: state.pipelineUrl },
    count: failureCount(state),
    ...(state.since ? { since: state.since } : {}),
  };
}

/**
 * Orders two runs: by pipeline id (GitLab's ids grow), then, within one pipeline retried, by
 * round when both are known. Negative when `a` ran before `b`.
 */
export function compareRuns(a: FailedRun, b: FailedRun): number {
  if (a.pipelineId !== b.pipelineId) return a.pipelineId - b.pipelineId;
  if (a.round === '' || b.round === '') return 0;
  return a.round < b.round ? -1 : a.round > b.round ? 1 : 0;
}

function runOf(facts: PipelineFacts): FailedRun {
  return { pipelineId: facts.pipelineId, round: facts.round };
}

/**
 * - `new`: the ref was green or unknown: a top-level notice that starts a streak.
 * - `continues`: the ref is red: the failure goes in the parent's thread and the count grows.
 *   A late older failure arriving while red joins too (it failed during the same red period)
 *   but does not move `latest`.
 * - `stale`: older than the pipeline that made the ref green, or the failure that green
 *   pipeline resolved: announced on its own, the streak state left alone.
 */
export type FailureClass = 'new' | 'continues' | 'stale';

export function classifyFailure(facts: PipelineFacts, state: RefFailureState | undefined): FailureClass {
  if (!state) return 'new';
  if (state.resolvedBy === undefined) return 'continues';
  if (facts.pipelineId < state.resolvedBy) return 'stale';
  return compareRuns(runOf(facts), latestFailure(state)) <= 0 ? 'stale' : 'new';
}

function latestOf(facts: PipelineFacts): FailedRun & { jobNames: string[] } {
  return { ...runOf(facts), jobNames: facts.failedJobs.slice(0, MAX_JOB_NAMES).map((job) => job.name) };
}

/** A new streak whose first failure (and parent notice) is `facts`; `parentFacts` compacted by the caller. */
export function startStreak(
  facts: PipelineFacts,
  parentFacts: PipelineFacts,
  parent: { ts?: string; channel?: string; rollup?: string; retryOffered?: boolean },
  since?: string,
): RefFailureState {
  return {
    pipelineId: facts.pipelineId,
    pipelineUrl: facts.pipelineUrl,
    ...parent,
    facts: parentFacts,
    firstRound: facts.round,
    failureCount: 1,
    latest: latestOf(facts),
    counted: [runId(runOf(facts))],
    ...(since ? { since } : {}),
  };
}

/**
 * The streak with one more failure; `latest` only moves forward. Idempotent per run (pipeline
 * id and round): a run already counted (a replay, a retry after a failed state write, a printed
 * notice replayed in local mode) leaves the streak as it is.
 */
export function extendStreak(state: RefFailureState, facts: PipelineFacts): RefFailureState {
  const counted = countedRuns(state);
  const run = runId(runOf(facts));
  if (counted.includes(run)) return state;
  const newer = compareRuns(runOf(facts), latestFailure(state)) > 0;
  return {
    ...state,
    firstRound: firstRound(state),
    failureCount: failureCount(state) + 1,
    latest: newer ? latestOf(facts) : (state.latest ?? latestOf(facts)),
    counted: [...counted, run].slice(-MAX_COUNTED_RUNS),
  };
}

/**
 * The failed jobs of an MR pipeline that also fail on its target branch, read from the
 * destination's streak state of that branch (red, and its newest failure listed the job).
 */
export function alsoFailingOn(facts: PipelineFacts, target: RefFailureState | undefined): AlsoFailing | undefined {
  const branch = facts.mergeRequest?.targetBranch;
  if (!branch || branch === facts.ref || !isRed(target)) return undefined;
  const names = new Set(target.latest?.jobNames ?? target.facts.failedJobs.map((job) => job.name));
  const jobs = [...new Set(facts.failedJobs.filter((job) => names.has(job.name)).map((job) => job.name))];
  return jobs.length > 0 ? { branch, jobs } : undefined;
}

/**
 * One failure of a ref at a time per destination: deciding "new or still failing" and writing
 * the streak must not interleave, or two failures processed at once would both post a parent.
 * The lease covers a post, a thread reply and a state write with Slack's retries (3 x 5 s); a
 * worker that dies holding it frees it when it runs out.
 */
const STREAK_LEASE_SECONDS = 60;

/** How long a failure waits for another one of the same ref before going back to the queue. */
export const STREAK_WAIT = { attempts: 10, intervalMs: 300 };

/** Another failure of the same ref is being announced at this destination: retried through the queue. */
export class RefStreakBusy extends BridgeError {
  override readonly name = 'RefStreakBusy';
  constructor(readonly streakKey: string) {
    super(`another failure of ${streakKey} is being announced; retrying to join its thread`);
  }
}

/** Runs `work` holding the ref's streak lock for `owner` (an effect key), and gives it back after. */
export function withStreakLock<T>(state: StateStore, streakKey: string, owner: string, work: () => Promise<T>): Promise<T> {
  const options = { leaseSeconds: STREAK_LEASE_SECONDS, wait: STREAK_WAIT, busy: () => new RefStreakBusy(streakKey) };
  return withStateLock(state, `${streakKey}:streak-lock`, owner, options, work);
}
