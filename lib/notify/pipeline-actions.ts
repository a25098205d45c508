import { projectKey } from '../gitlab/project-identity.js';
import type { PipelineEvent } from '../gitlab/schemas.js';
import { describeBranchFilter, matchesBranches, type RefFacts } from '../routing/match.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import { flakyMarks, recordFlakyJob, updateUntilStable } from './flaky.js';
import type { Outlets } from './outlets.js';
import { compactPipelineFacts, pipelineFacts, type PipelineFacts } from './pipeline-facts.js';
import { formatPipelineFailed, formatPipelinePassed, formatPipelineRecovered } from './slack/pipeline.js';
import { isMissingMessage } from './slack/slack-sender.js';
import { targetName, type TargetRoutes } from './targets.js';
import { pipelineFailedCard, pipelinePassedCard, pipelineRecoveredCard } from './teams/pipeline.js';

/**
 * The last failure notice a destination got for a ref (state key
 * `<target>:ref:<project key>:<ref>`): what a later green pipeline on that ref threads its
 * recovery under, and the facts to re-render the notice as fixed.
 */
export interface RefFailureState {
  pipelineId: number;
  pipelineUrl: string;
  /** Slack only: the notice's message ts and channel id. */
  ts?: string;
  channel?: string;
  facts: PipelineFacts;
  /** The pipeline whose success was announced as the recovery. */
  resolvedBy?: number;
}

/**
 * Key of the remembered protection of a branch, written when a push event says it. Keyed by
 * the project key (id and authenticated path), so a payload pairing its own path with another
 * project's id cannot flip that project's cache.
 */
export function refProtectionKey(project: { id: number; path_with_namespace: string }, ref: string): string {
  return `ref-protected:${projectKey(project)}:${ref}`;
}

export function refFailureKey(targetId: string, project: string, ref: string): string {
  return `${targetId}:ref:${project}:${ref}`;
}

/** `:<round>` when GitLab sent the pipeline's finish time, so a retried-then-finished pipeline keys apart. */
function roundSuffix(round: string | undefined): string {
  return round ? `:${round}` : '';
}

/**
 * Two green pipelines on a ref finishing at once must not both announce the recovery of one
 * failure: the first to reserve it does. Long enough for the post and the state write; a
 * worker that dies holding it frees it when it runs out.
 */
const RECOVERY_LEASE_SECONDS = 120;

/** Pipeline statuses that end a pipeline and can notify. */
const NOTIFIED_STATUSES = new Set(['failed', 'success']);

interface PipelinePlanContext {
  state: StateStore;
  outlets: Outlets;
  /** The worker's clock, for the flaky counts' window; the system clock when absent. */
  now?: () => Date;
}

/**
 * Whether the pipeline's ref is protected. The pipeline payload does not say (GitLab's pipeline
 * hook has no such field today), so in order: a `ref_protected` field if the payload has one;
 * else what the last push event to that branch said (push events carry `ref_protected`);
 * else the default branch counts as protected (GitLab protects it by default) and others not.
 */
export async function isProtectedRef(event: PipelineEvent, ref: string, state: StateStore): Promise<boolean> {
  const attributes = event.object_attributes as Record<string, unknown>;
  const direct = [(event as Record<string, unknown>).ref_protected, attributes.ref_protected, attributes.protected_ref].find(
    (value) => typeof value === 'boolean',
  );
  if (typeof direct === 'boolean') return direct;
  const remembered = await state.get<{ protected: boolean }>(refProtectionKey(event.project, ref));
  if (remembered) return remembered.protected;
  return event.object_attributes.tag !== true && event.project.default_branch != null && ref === event.project.default_branch;
}

/** The actions a pipeline event calls for at each destination. */
export async function planPipeline(event: PipelineEvent, targets: readonly TargetRoutes[], context: PipelinePlanContext): Promise<PlannedAction[]> {
  const facts = pipelineFacts(event);
  const needsProtection = targets.some((target) => target.routes.some((route) => route.branches === 'protected'));
  const refFacts: RefFacts = {
    ref: facts.ref,
    isTag: facts.isTag,
    defaultBranch: facts.defaultBranch,
    isProtected: needsProtection ? await isProtectedRef(event, facts.ref, context.state) : undefined,
  };
  const actions: PlannedAction[] = [];
  for (const target of targets) {
    actions.push(...(await planForTarget(facts, refFacts, target, context)));
  }
  return actions;
}

async function planForTarget(facts: PipelineFacts, refFacts: RefFacts, target: TargetRoutes, context: PipelinePlanContext): Promise<PlannedAction[]> {
  const { kind } = target.target;
  const name = targetName(target.target);
  const id = facts.pipelineId;
  // Pipeline ids are the payload's word: the project key keeps one project's deliveries from
  // claiming another's notices, the round tells a re-run of the same pipeline apart.
  const base = (suffix: string, summary: string) => ({
    key: `${target.id}:pipeline:${facts.projectKey}:${id}:${suffix}${roundSuffix(facts.round)}`,
    kind,
    target: name,
    summary,
  });
  const skip = (suffix: string, summary: string, reason: string): PlannedAction => ({
    ...base(suffix, summary),
    skipReason: reason,
    run: async () => undefined,
  });

  const watching = target.routes.filter((route) => matchesBranches(route.branches, refFacts));
  const statusSuffix = facts.status === 'success' ? 'passed' : facts.status;
  if (watching.length === 0) {
    const filters = [...new Set(target.routes.map((route) => describeBranchFilter(route.branches)))].join('; ');
    return [
      skip(statusSuffix, `pipeline #${id} ${facts.status} notice`, `${facts.isTag ? 'tag' : 'branch'} ${facts.ref} is not watched (branches: ${filters})`),
    ];
  }
  if (!NOTIFIED_STATUSES.has(facts.status)) {
    return [skip(statusSuffix, `pipeline #${id} ${facts.status} notice`, `pipeline ${facts.status}: only failed and passed pipelines notify`)];
  }

  const failureKey = refFailureKey(target.id, facts.projectKey, facts.ref);
  if (facts.status === 'failed') return [failureAction(facts, target, failureKey, base('failed', `pipeline #${id} failed notice`), context)];

  // Passed: a recovery where this destination was told of a failure on the ref (by an earlier
  // pipeline, or by this one before its failed jobs were retried), else a "passed" notice for
  // routes that want every pipeline.
  const onRecovery = watching.some((route) => route.options.notifyOnRecovery);
  const onlyBroken = watching.every((route) => route.options.notifyOnlyBrokenPipelines);
  const failure = onRecovery ? await context.state.get<RefFailureState>(failureKey) : undefined;
  if (failure && failure.pipelineId <= id && (failure.resolvedBy === undefined || failure.resolvedBy === id) && !earlierRound(facts, failure)) {
    return recoveryActions(facts, failure, target, failureKey, context);
  }
  if (onlyBroken) {
    return [skip('passed', `pipeline #${id} passed notice`, 'pipeline passed; only broken pipelines notify (notifyOnlyBrokenPipelines)')];
  }
  const passed = base('passed', `pipeline #${id} passed notice`);
  return [
    {
      ...passed,
      run: async (): Promise<ActionRunResult> => {
        if (target.target.kind === 'slack') return context.outlets.slackPost(target.target.channel, formatPipelinePassed(facts));
        return context.outlets.teamsPost(target.target.webhook, pipelinePassedCard(facts));
      },
    },
  ];
}

function failureAction(
  facts: PipelineFacts,
  target: TargetRoutes,
  failureKey: string,
  base: Omit<PlannedAction, 'run'>,
  context: PipelinePlanContext,
): PlannedAction {
  return {
    ...base,
    run: async (): Promise<ActionRunResult> => {
      const remember = async (extra: { ts?: string; channel?: string }) => {
        const existing = await context.state.get<RefFailureState>(failureKey);
        // An older pipeline's failure (or an older run of this one) arriving late must not
        // replace a newer one's notice.
        if (existing && (existing.pipelineId > facts.pipelineId || (existing.pipelineId === facts.pipelineId && earlierRound(facts, existing)))) return;
        await context.state.put<RefFailureState>(failureKey, {
          pipelineId: facts.pipelineId,
          pipelineUrl: facts.pipelineUrl,
          facts: compactPipelineFacts(facts),
          ...extra,
        });
      };
      if (target.target.kind === 'slack') {
        const sent = await context.outlets.slackPost(target.target.channel, formatPipelineFailed(facts));
        // A printed notice (local mode) is remembered too, so the recovery shows up (unthreaded).
        await remember(sent.result ? { ts: sent.result.ts, channel: sent.result.channel } : {});
        return sent;
      }
      const sent = await context.outlets.teamsPost(target.target.webhook, pipelineFailedCard(facts));
      await remember({});
      return sent;
    },
  };
}

/** True when `facts` is an earlier run than the one the remembered failure is of (same pipeline, earlier finish). */
function earlierRound(facts: PipelineFacts, failure: RefFailureState): boolean {
  return failure.pipelineId === facts.pipelineId && facts.round !== '' && (failure.facts.round ?? '') !== '' && facts.round < failure.facts.round;
}

function recoveryActions(
  facts: PipelineFacts,
  failure: RefFailureState,
  target: TargetRoutes,
  failureKey: string,
  context: PipelinePlanContext,
): PlannedAction[] {
  const name = targetName(target.target);
  const failed = { pipelineId: failure.pipelineId, pipelineUrl: failure.pipelineUrl };
  const failureRound = roundSuffix(failure.facts.round);
  const sameFailure = (state: RefFailureState | undefined): state is RefFailureState =>
    state !== undefined && state.pipelineId === failure.pipelineId && (state.facts.round ?? '') === (failure.facts.round ?? '');
  // Re-read: a newer failure recorded meanwhile must not be overwritten by this stale copy.
  // The pipeline that failed turned green: the jobs its notice listed failed passed on retry.
  const flakyJobs = failure.pipelineId === facts.pipelineId ? [...new Set(failure.facts.failedJobs.map((job) => job.name))] : [];
  const now = () => context.now?.() ?? new Date();
  const recordFlaky = async () => {
    for (const job of flakyJobs) await recordFlakyJob(context.state, facts.projectKey, job, failure.pipelineId, now());
  };
  const markResolved = async () => {
    const current = await context.state.get<RefFailureState>(failureKey);
    if (sameFailure(current)) await context.state.put<RefFailureState>(failureKey, { ...current, resolvedBy: facts.pipelineId });
  };
  const key = `${target.id}:pipeline:${facts.projectKey}:${facts.pipelineId}:recovered${roundSuffix(facts.round)}`;
  const reservation = `${failureKey}:recovery:${failure.pipelineId}${failureRound}`;
  const reply: PlannedAction = {
    key,
    kind: target.target.kind,
    target: name,
    summary: `pipeline #${facts.pipelineId} recovered notice (after #${failure.pipelineId})`,
    run: async (): Promise<ActionRunResult> => {
      if (!(await context.state.reserve(reservation, key, RECOVERY_LEASE_SECONDS))) {
        return { skipped: `another green pipeline is announcing the recovery from #${failure.pipelineId}` };
      }
      const current = await context.state.get<RefFailureState>(failureKey);
      if (sameFailure(current) && current.resolvedBy !== undefined && current.resolvedBy !== facts.pipelineId) {
        return { skipped: `pipeline #${current.resolvedBy} already announced the recovery from #${failure.pipelineId}` };
      }
      try {
        await recordFlaky();
        if (target.target.kind === 'slack') {
          const channel = failure.channel ?? target.target.channel;
          const message = formatPipelineRecovered(facts, { ...failed, flakyJobs });
          const threadTs = failure.ts;
          let sent;
          try {
            sent = await context.outlets.slackPost(channel, message, threadTs);
          } catch (error) {
            // The failure notice was deleted: announce the recovery on its own instead of
            // failing the same way on every later green pipeline of the ref.
            if (!threadTs || !isMissingMessage(error)) throw error;
            sent = await context.outlets.slackPost(target.target.channel, message);
          }
          await markResolved();
          return sent;
        }
        const sent = await context.outlets.teamsPost(target.target.webhook, pipelineRecoveredCard(facts, { ...failed, flakyJobs }));
        await markResolved();
        return sent;
      } catch (error) {
        await context.state.release(reservation, key);
        throw error;
      }
    },
  };
  if (target.target.kind !== 'slack' || !failure.ts || !failure.channel) return [reply];
  const { ts, channel } = failure;
  const parent: PlannedAction = {
    key: `${target.id}:pipeline:${facts.projectKey}:${failure.pipelineId}:fixed${failureRound}`,
    kind: 'slack',
    target: name,
    summary: `pipeline #${failure.pipelineId} failure notice marked fixed by #${facts.pipelineId}`,
    run: async (): Promise<ActionRunResult> => {
      try {
        await recordFlaky();
        // Flaky marks a job event put on the notice (./job-actions.ts) stay on the fixed one.
        const names = failure.facts.failedJobs.map((job) => job.name);
        const resolvedBy = { pipelineId: facts.pipelineId, pipelineUrl: facts.pipelineUrl };
        const read = async () => {
          const flaky = await flakyMarks(context.state, facts.projectKey, names, failure.pipelineId, now());
          return { view: JSON.stringify(flaky), message: formatPipelineFailed(failure.facts, { resolvedBy, flaky }) };
        };
        return await updateUntilStable(read, (message) => context.outlets.slackUpdate(channel, ts, message));
      } catch (error) {
        if (isMissingMessage(error)) return { skipped: `the failure notice of #${failure.pipelineId} (ts ${ts}) no longer exists in Slack` };
        throw error;
      }
    },
  };
  return [reply, parent];
}
