import { shortRef } from '../gitlab/events.js';
import { projectKey } from '../gitlab/project-identity.js';
import type { JobEvent } from '../gitlab/schemas.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import { jobKeyPart, recordFlakyJob, updateUntilStable } from './flaky.js';
import type { Outlets } from './outlets.js';
import { refFailureKey, type RefFailureState } from './pipeline-actions.js';
import type { FailedJob } from './pipeline-facts.js';
import { isRed } from './ref-streak.js';
import { isMissingMessage } from './slack/slack-sender.js';
import { renderStreakParent } from './streak-parent.js';
import { targetName, type TargetRoutes } from './targets.js';
import { jobFlakyCard } from './teams/flaky-job.js';

interface JobPlanContext {
  state: StateStore;
  outlets: Outlets;
  now: () => Date;
}

/** `:<round>` of the failure notice, as pipeline effect keys carry it (see pipeline-actions.ts). */
function roundSuffix(round: string | undefined): string {
  return round ? `:${round}` : '';
}

function listedJob(failedJobs: readonly FailedJob[], event: JobEvent): FailedJob | undefined {
  return failedJobs.find((job) => job.name === event.build_name && (event.build_stage === undefined || job.stage === event.build_stage));
}

/**
 * A job that passed where the ref's failure notice of the same pipeline listed it as failed
 * is flaky: each destination holding that notice gets it marked (Slack: the notice is updated;
 * Teams: a short card, as a card cannot be edited), once per pipeline, job and destination.
 * A job that passed after retries (`retries_count` > 0) with no such notice is only counted.
 *
 * "The notice of the same pipeline" is the notice the destination's streak parent shows
 * (`facts.pipelineId`): the first failure's, or, after a deleted parent was replaced, the
 * failure whose notice replaced it. A later failure of a red streak is a reply in the parent's
 * thread, which is never edited: a job of it that passes on retry is counted flaky (its
 * pipeline is the streak's newest failure and listed the job) but marked on no notice.
 * Flaky marks ride on pipeline routes: `targets` are the destinations of routes with pipeline
 * events, so no route option asks for them separately.
 */
export async function planJob(event: JobEvent, targets: readonly TargetRoutes[], context: JobPlanContext): Promise<PlannedAction[]> {
  // Only a finished, passing attempt of a job that can fail its pipeline says "flaky".
  if (event.build_status !== 'success' || event.build_allow_failure === true) return [];
  // The project check authenticates `project{...}`; a `project_id` naming another project is not trusted.
  if (event.project_id !== event.project.id) return [];
  const key = projectKey(event.project);
  const ref = shortRef(event.ref);
  const notices: Array<{ target: TargetRoutes; failure: RefFailureState; job: FailedJob }> = [];
  let inStreakReply = false;
  for (const target of targets) {
    const failure = await context.state.get<RefFailureState>(refFailureKey(target.id, key, ref));
    const job = failure?.facts.pipelineId === event.pipeline_id ? listedJob(failure.facts.failedJobs, event) : undefined;
    if (failure && job) notices.push({ target, failure, job });
    else if (isRed(failure) && failure.latest?.pipelineId === event.pipeline_id && failure.latest.jobNames.includes(event.build_name)) inStreakReply = true;
  }
  if (notices.length === 0 && !inStreakReply && (event.retries_count ?? 0) === 0) return [];
  // Recorded while planning, idempotent per pipeline and job: a replay counts nothing twice.
  const count = await recordFlakyJob(context.state, key, event.build_name, event.pipeline_id, context.now());
  return notices.map(({ target, failure, job }) => flakyMarkAction(event, target, failure, job, count, key, context));
}

function flakyMarkAction(
  event: JobEvent,
  target: TargetRoutes,
  failure: RefFailureState,
  job: FailedJob,
  count: number,
  key: string,
  context: JobPlanContext,
): PlannedAction {
  const failureKey = refFailureKey(target.id, key, failure.facts.ref);
  const round = failure.facts.round ?? '';
  // The pipeline the notice shows: the streak's first failure, or the one that replaced its deleted parent.
  const shown = failure.facts.pipelineId;
  return {
    key: `${target.id}:pipeline:${key}:${shown}:flaky:${jobKeyPart(event.build_name)}${roundSuffix(round)}`,
    kind: target.target.kind,
    target: targetName(target.target),
    summary: `pipeline #${shown} failure notice: job ${event.build_name} passed on retry (flaky)`,
    run: async (): Promise<ActionRunResult> => {
      if (target.target.kind === 'teams') {
        return context.outlets.teamsPost(target.target.webhook, jobFlakyCard(failure.facts, { name: job.name, url: job.url }, count));
      }
      // Re-read: the notice may have been marked fixed, or other jobs flaky, since planning.
      const shows = (state: RefFailureState) => state.facts.pipelineId === shown && (state.facts.round ?? '') === round;
      const current = (await context.state.get<RefFailureState>(failureKey)) ?? failure;
      if (!shows(current)) {
        return { skipped: `a newer failure notice (pipeline #${current.facts.pipelineId}) replaced the one of #${shown}` };
      }
      const { ts, channel } = current;
      if (!ts || !channel) return { skipped: `the failure notice of #${shown} was printed, not posted: nothing to update` };
      // Rendered from the streak as stored (its count, the other marks, the mention, fixed or not).
      const read = async () => {
        const latest = await context.state.get<RefFailureState>(failureKey);
        return renderStreakParent(context.state, latest && shows(latest) ? latest : current, key, context.now());
      };
      try {
        return await updateUntilStable(read, (message) => context.outlets.slackUpdate(channel, ts, message));
      } catch (error) {
        if (isMissingMessage(error)) return { skipped: `the failure notice of #${shown} (ts ${ts}) no longer exists in Slack` };
        throw error;
      }
    },
  };
}
