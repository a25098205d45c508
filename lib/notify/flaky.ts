import { createHash } from 'node:crypto';
import type { StateStore } from '../state/store.js';
import type { SlackMessage } from './slack/block-kit.js';

/**
 * Flaky jobs: a job that failed a pipeline and then passed when retried in that same pipeline.
 * Each project keeps, per job name, the pipelines it was flaky in over the last 30 days (state
 * key `flaky:<project key>:<job>`). Adding a pipeline already listed changes nothing, so a
 * redelivered or replayed event counts once; the count a notice shows is the list's length.
 */

/** The window of the count a notice shows ("flaky 3 times in 30 days"). */
export const FLAKY_WINDOW_DAYS = 30;

/** Entries kept per job: past this a job is "flaky 50+ times", the exact number no longer matters. */
const MAX_RUNS = 50;

/** Job names are up to 255 characters (GitLab's limit); a long one is hashed to keep the key short. */
export function jobKeyPart(name: string): string {
  return name.length <= 100 ? name : `sha256-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

export function flakyCountKey(projectKey: string, jobName: string): string {
  return `flaky:${projectKey}:${jobKeyPart(jobName)}`;
}

interface FlakyRuns {
  runs: Array<{ pipelineId: number; at: string }>;
}

const DAY_MS = 24 * 3600 * 1000;

function recent(runs: FlakyRuns | undefined, now: Date): FlakyRuns['runs'] {
  const since = now.getTime() - FLAKY_WINDOW_DAYS * DAY_MS;
  return (runs?.runs ?? []).filter((run) => Date.parse(run.at) >= since);
}

/**
 * Records that `jobName` was flaky in `pipelineId` (once per pipeline and job) and returns how
 * many pipelines it was flaky in over the window, this one included.
 */
export async function recordFlakyJob(state: StateStore, projectKey: string, jobName: string, pipelineId: number, now: Date): Promise<number> {
  const key = flakyCountKey(projectKey, jobName);
  const runs = recent(await state.get<FlakyRuns>(key), now);
  if (runs.some((run) => run.pipelineId === pipelineId)) return runs.length;
  const next = [...runs, { pipelineId, at: now.toISOString() }].slice(-MAX_RUNS);
  await state.put<FlakyRuns>(key, { runs: next }, { ttlDays: FLAKY_WINDOW_DAYS });
  return next.length;
}

/**
 * The flaky marks of a pipeline's notice: of `jobNames`, those recorded flaky in `pipelineId`,
 * each with its count over the window. What a re-rendered failure notice shows beside its jobs.
 */
export async function flakyMarks(
  state: StateStore,
  projectKey: string,
  jobNames: readonly string[],
  pipelineId: number,
  now: Date,
): Promise<Record<string, number>> {
  const marks: Record<string, number> = {};
  for (const name of new Set(jobNames)) {
    const runs = recent(await state.get<FlakyRuns>(flakyCountKey(projectKey, name)), now);
    if (runs.some((run) => run.pipelineId === pipelineId)) marks[name] = runs.length;
  }
  return marks;
}

/** "passed on retry: flaky", with the count only from the second time: a first flake is news enough. */
export function flakyLabel(count: number): string {
  return count >= 2 ? `passed on retry: flaky ${count >= MAX_RUNS ? `${MAX_RUNS}+` : count} times in ${FLAKY_WINDOW_DAYS} days` : 'passed on retry: flaky';
}

/**
 * Updates a failure notice until what it shows is what the state says. A job event marking a
 * job flaky and the pipeline's recovery (or another job's mark) can update one notice at the
 * same moment, each rendered from what it read; Slack keeps whichever update lands last. Each
 * writer reads again after its update and, when the notice's marks or fixed state changed
 * meanwhile, updates once more, so the last writer always shows everything recorded before it
 * read. Three rounds bound it (each needs yet another concurrent change to go on).
 */
export async function updateUntilStable<Result>(
  read: () => Promise<{ view: string; message: SlackMessage }>,
  update: (message: SlackMessage) => Promise<Result>,
): Promise<Result> {
  let current = await read();
  let sent = await update(current.message);
  for (let round = 1; round < 3; round += 1) {
    const next = await read();
    if (next.view === current.view) break;
    current = next;
    sent = await update(current.message);
  }
  return sent;
}
