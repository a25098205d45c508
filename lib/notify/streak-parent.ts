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
  const options = {
    streak: streakInfo(failure),
    flaky,
    ...(failure.authorMention ? { authorMention: failure.authorMention } : {}),
    ...(fixed ? { resolvedBy: fixed } : {}),
  };
  return { view: JSON.stringify(options), message: formatPipelineFailed(failure.facts, options) };
}
