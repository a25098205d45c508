import { encodeRetryValue, retryStateKey, type RetryRecord } from '../slack/interaction.js';
import type { StateStore } from '../state/store.js';
import { flakyMarks } from './flaky.js';
import { streakInfo, type RefFailureState } from './ref-streak.js';
import type { SlackMessage } from './slack/block-kit.js';
import { formatPipelineFailed } from './slack/pipeline.js';

/**
 * The streak's parent notice as the state says it is now. Every re-render of the parent (a
 * later failure counting the streak, a job marked flaky, the recovery marking it fixed) goes
 * through here, so none of them drops what another one put on it: the streak line, the flaky
 * marks, the author mention, the fixed state.
 *
 * The flaky marks are those of the pipeline the notice shows (`facts.pipelineId`: the first
 * failure's, or that of the failure whose notice replaced a deleted parent). `resolvedBy` is
 * the green pipeline when the caller knows it (the recovery), else the state's.
 * `view` is what the notice shows, for updateUntilStable.
 */
export async function renderStreakParent(
  state: StateStore,
  failure: RefFailureState,
  projectKey: string,
  now: Date,
  resolvedBy?: { pipelineId: number; pipelineUrl: string },
): Promise<{ view: string; message: SlackMessage }> {
  const names = failure.facts.failedJobs.map((job) => job.name);
  const flaky = await flakyMarks(state, projectKey, names, failure.facts.pipelineId, now);
  const fixed =
    resolvedBy ??
    (failure.resolvedBy !== undefined
      ? { pipelineId: failure.resolvedBy, pipelineUrl: `${failure.facts.projectUrl}/-/pipelines/${failure.resolvedBy}` }
      : undefined);
  const retry = failure.retryOffered ? await retryOption(state, failure) : undefined;
  const options = {
    streak: streakInfo(failure),
    ...(retry ? { retry } : {}),
    flaky,
    ...(failure.authorMention ? { authorMention: failure.authorMention } : {}),
    ...(fixed ? { resolvedBy: fixed } : {}),
  };
  return { view: JSON.stringify(options), message: formatPipelineFailed(failure.facts, options) };
}

/**
 * The notice's retry button, or "Retried by" once someone used it: read from the retry's own
 * state key (written by lib/slack/retry-planner.ts), so a re-render never brings the button back.
 */
async function retryOption(state: StateStore, failure: RefFailureState): Promise<{ value: string } | { retriedBy: string; at: number }> {
  const { facts } = failure;
  const round = facts.round ?? '';
  const done = await state.get<RetryRecord>(`${retryStateKey(facts.projectKey, facts.pipelineId, round)}:done`);
  if (done) return { retriedBy: done.by, at: done.at };
  return { value: retryButtonValue(facts) };
}

/** The retry button's value for a notice's pipeline. */
export function retryButtonValue(facts: RefFailureState['facts']): string {
  return encodeRetryValue({
    projectId: facts.projectId,
    projectPath: facts.projectPath,
    projectKey: facts.projectKey,
    pipelineId: facts.pipelineId,
    round: facts.round ?? '',
    pipelineUrl: facts.pipelineUrl,
  });
}
