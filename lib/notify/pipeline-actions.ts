import type { GitLabAccess, GitLabApi } from '../gitlab/api.js';
import { projectKey } from '../gitlab/project-identity.js';
import type { PipelineEvent } from '../gitlab/schemas.js';
import { describeBranchFilter, matchesBranches, type RefFacts } from '../routing/match.js';
import type { BridgeLogger } from '../logger.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import { pipelineAuthor } from './mentions/event-people.js';
import type { NoticeMentions } from './mentions/notice-mentions.js';
import type { ChatPerson } from './mentions/resolver.js';
import { recordFlakyJob, updateUntilStable } from './flaky.js';
import { compactPipelineFacts, pipelineFacts, type PipelineFacts } from './pipeline-facts.js';
import { fetchJobExcerpts } from './job-excerpts.js';
import {
  alsoFailingOn,
  classifyFailure,
  compareRuns,
  extendStreak,
  firstRound,
  isRed,
  latestFailure,
  refFailureKey,
  startStreak,
  streakInfo,
  withStreakLock,
  type AlsoFailing,
  type RefFailureState,
} from './ref-streak.js';
import { renderStreakParent, retryButtonValue } from './streak-parent.js';
import { heldAction, type QuietHold } from './digest.js';
import { breaksThrough } from './quiet-hours.js';
import { decideStorm, foldIntoRollup, listInOpenRollup, reflectRecovery, rollupLine, stormOptionsOf } from './rollup.js';
import { keeping, type Outlets } from './outlets.js';
import { formatPipelineExcerpts, formatPipelineFailed, formatPipelineFailedReply, formatPipelinePassed, formatPipelineRecovered } from './slack/pipeline.js';
import type { SlackMessage } from './slack/block-kit.js';
import { isMissingMessage } from './slack/slack-sender.js';
import { targetName, type TargetRoutes } from './targets.js';
import { pipelineFailedCard, pipelinePassedCard, pipelineRecoveredCard, type PipelineFailedCardOptions } from './teams/pipeline.js';

/**
 * Key of the remembered protection of a branch, written when a push event says it. Keyed by
 * the project key (id and authenticated path), so a payload pairing its own path with another
 * project's id cannot flip that project's cache.
 */
export function refProtectionKey(project: { id: number; path_with_namespace: string }, ref: string): string {
  return `ref-protected:${projectKey(project)}:${ref}`;
}

export { refFailureKey, type RefFailureState } from './ref-streak.js';

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

/**
 * Whether the GitLab token may retry pipelines: GitLab's retry endpoint needs the `api` scope
 * (`read_api` only reads). A failed lookup means no button, never a failed notice.
 */
async function mayRetryPipelines(api: GitLabApi): Promise<boolean> {
  if (!api.retryPipeline || !api.tokenScopes) return false;
  try {
    return (await api.tokenScopes()).includes('api');
  } catch {
    return false;
  }
}

/** Pipeline statuses that end a pipeline and can notify. */
const NOTIFIED_STATUSES = new Set(['failed', 'success']);

interface PipelinePlanContext {
  state: StateStore;
  outlets: Outlets;
  /** GitLab's API for the failed jobs' log excerpts; absent, the notices say it is unavailable. */
  gitlab?: GitLabAccess;
  /** Who to mention in a failure notice (lib/notify/mentions); none when absent. */
  mentions?: NoticeMentions;
  /** The pipeline's commit author, set by planPipeline. */
  author?: ChatPerson;
  /** The worker's clock, for the flaky counts' window; the system clock when absent. */
  now?: () => Date;
  /** For a streak write that kept failing after its notice went out. */
  log?: BridgeLogger;
  /** Set when the delivery was recovered from GitLab's hook log: when GitLab tried to send it. */
  late?: { receivedAt: string };
  /** The destination's quiet-hours hold at this moment, if any (./digest.ts). */
  quiet?: (target: TargetRoutes) => QuietHold | undefined;
  /** `interactions.retry.enabled`: Slack failure notices may offer "Retry failed jobs". */
  retryButton?: boolean;
}

/** Attempts at a streak write after its notice was posted, and the pause before each retry. */
const STATE_WRITE_AFTER_POST = { attempts: 3, intervalMs: 200 };

/**
 * Writes the streak after its notice went out. A throw here would release the notice's effect
 * claim and the retry would post it again, so a write that keeps failing is retried a few times
 * and then logged: the streak misses this failure (the next one counts on from what was
 * stored), but nobody gets the notice twice.
 */
async function putAfterPost(context: { state: StateStore; log?: BridgeLogger }, key: string, value: RefFailureState): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await context.state.put<RefFailureState>(key, value);
      return;
    } catch (error) {
      if (attempt >= STATE_WRITE_AFTER_POST.attempts) {
        context.log?.error('the failure notice went out but its red streak could not be stored; the streak misses this failure', {
          streakKey: key,
          pipelineId: value.latest?.pipelineId ?? value.pipelineId,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, STATE_WRITE_AFTER_POST.intervalMs * attempt));
    }
  }
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
  const needsProtection = targets.some((target) =>
    target.routes.some((route) => route.branches === 'protected' || route.options.quietHours?.breakThrough === 'protected'),
  );
  const refFacts: RefFacts = {
    ref: facts.ref,
    isTag: facts.isTag,
    defaultBranch: facts.defaultBranch,
    isProtected: needsProtection ? await isProtectedRef(event, facts.ref, context.state) : undefined,
  };
  const actions: PlannedAction[] = [];
  const author = pipelineAuthor(event);
  for (const target of targets) {
    actions.push(...(await planForTarget(facts, refFacts, target, author ? { ...context, author } : context)));
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
  // Quiet hours: the notice goes to the digest (a failure that breaks through posts as usual).
  const hold = context.quiet?.(target);
  const held = (notice: Omit<PlannedAction, 'run'>, text: string, onHeld?: () => Promise<unknown>) =>
    heldAction(
      notice,
      target,
      hold!,
      { text: `${text} (${facts.projectPath})`, url: facts.pipelineUrl },
      {
        state: context.state,
        outlets: context.outlets,
        ...(onHeld ? { onHeld } : {}),
      },
    );
  const onRef = `on ${facts.isTag ? 'tag' : 'branch'} ${facts.ref}`;
  if (facts.status === 'failed') {
    if (hold && !breaksThrough(watching, refFacts)) return [held(base('failed', `pipeline #${id} failed notice`), `pipeline #${id} failed ${onRef}`)];
    // Mentions unless a route sending here turns them off (`mentionAuthors: false`).
    const mentionAuthor = watching.every((route) => route.options.mentionAuthors !== false) ? context.author : undefined;
    const failed = base('failed', `pipeline #${id} failed notice`);
    // Slack gets the log excerpts as a reply in the notice's thread when GitLab's API can be
    // used; when it cannot (no token: a local read, no call to GitLab), the notice says why in
    // one line and no reply is planned. Teams cards fetch theirs when sent.
    let excerptsUnavailable: string | undefined;
    let excerpts = false;
    let retryOffered = false;
    if (facts.failedJobCount > 0 && target.target.kind === 'slack' && context.gitlab) {
      const access = await context.gitlab.forProject(facts.projectUrl);
      if (access.unavailable !== undefined) excerptsUnavailable = access.unavailable;
      else {
        excerpts = true;
        retryOffered = context.retryButton === true && (await mayRetryPipelines(access.api));
      }
    }
    const actions = await failureActions(facts, target, failureKey, failed, context, mentionAuthor, excerptsUnavailable, retryOffered);
    return excerpts ? [...actions, excerptAction(facts, target, failed.key, context)] : actions;
  }

  // Passed: a recovery where this destination was told of a failure on the ref (by an earlier
  // pipeline, or by this one before its failed jobs were retried), else a "passed" notice for
  // routes that want every pipeline.
  const onRecovery = watching.some((route) => route.options.notifyOnRecovery);
  const onlyBroken = watching.every((route) => route.options.notifyOnlyBrokenPipelines);
  const failure = await context.state.get<RefFailureState>(failureKey);
  const ends =
    failure !== undefined &&
    compareRuns({ pipelineId: id, round: facts.round }, latestFailure(failure)) >= 0 &&
    (failure.resolvedBy === undefined || failure.resolvedBy === id);
  if (ends && onRecovery && hold) {
    // Held: the ref is green all the same, so the next failure is a new one.
    const markResolved = () => withStreakLock(context.state, failureKey, base('recovered', '').key, () => markGreen(context.state, failureKey, facts));
    return [
      held(
        base('recovered', `pipeline #${id} recovered notice (after #${failure.pipelineId})`),
        `pipeline #${id} ${onRef} passed again after #${failure.pipelineId}`,
        markResolved,
      ),
    ];
  }
  if (ends && onRecovery) return recoveryActions(facts, failure, target, failureKey, context);
  // No recovery is announced, but the ref is green now: the next failure is a new one, not
  // "still failing". Written while planning, under the streak lock and from a fresh read, so a
  // newer failure recorded meanwhile (#103 failing while #102 passes) keeps the ref red.
  if (ends && isRed(failure)) {
    await withStreakLock(context.state, failureKey, base('passed', '').key, () => markGreen(context.state, failureKey, facts));
  }
  if (onlyBroken) {
    return [skip('passed', `pipeline #${id} passed notice`, 'pipeline passed; only broken pipelines notify (notifyOnlyBrokenPipelines)')];
  }
  const passed = base('passed', `pipeline #${id} passed notice`);
  if (hold) return [held(passed, `pipeline #${id} passed ${onRef}`)];
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

/**
 * Marks the ref green by `facts` (a passed pipeline): re-reads the streak and sets `resolvedBy`
 * only when `facts` ran at or after the streak's newest failure, so a stale copy cannot erase a
 * failure recorded since. `same` narrows it to one streak (the recovery's). Call under the
 * streak lock. True when the ref is (now) green by `facts`.
 */
async function markGreen(state: StateStore, failureKey: string, facts: PipelineFacts, same?: (current: RefFailureState) => boolean): Promise<boolean> {
  const current = await state.get<RefFailureState>(failureKey);
  if (!current || (same && !same(current))) return false;
  if (current.resolvedBy === facts.pipelineId) return true;
  if (!isRed(current) || compareRuns({ pipelineId: facts.pipelineId, round: facts.round }, latestFailure(current)) < 0) return false;
  await state.put<RefFailureState>(failureKey, { ...current, resolvedBy: facts.pipelineId });
  return true;
}

/**
 * A failed pipeline's notice, classified against the destination's streak on the ref:
 * - the first failure after green (or with nothing known) is a top-level "new failure" notice
 *   and becomes the streak's parent;
 * - a failure while the ref is red replies in the parent's thread (Slack; Teams has no
 *   threads: a "still failing since #N" card) and the parent is updated to "failing for K
 *   pipelines" by an action of its own, keyed by this pipeline so a replay does not redo it;
 * - a late failure older than the pipeline that made the ref green gets its own notice and
 *   leaves the streak alone.
 * The effect key is the failure notice's (`...:<id>:failed:<round>`) wherever it goes, so a
 * redelivery or replay posts nothing new. Deciding and recording run under the ref's streak
 * lock: two failures processed at once cannot both become a parent.
 */
async function failureActions(
  facts: PipelineFacts,
  target: TargetRoutes,
  failureKey: string,
  base: Omit<PlannedAction, 'run'>,
  context: PipelinePlanContext,
  author?: ChatPerson,
  excerptsUnavailable?: string,
  retryOffered = false,
): Promise<PlannedAction[]> {
  const { state, outlets, mentions } = context;
  const targetBranch = facts.mergeRequest?.targetBranch;
  const alsoFailing = targetBranch
    ? alsoFailingOn(facts, await state.get<RefFailureState>(refFailureKey(target.id, facts.projectKey, targetBranch)))
    : undefined;
  const planned = await state.get<RefFailureState>(failureKey);
  // Known red while planning (the usual, sequential case): the parent update is an action of its own.
  const updatePlanned = target.target.kind === 'slack' && classifyFailure(facts, planned) === 'continues';

  // Teams cards carry the excerpts themselves (no threads): fetched at run time, bounded, and
  // never failing the card (a reason line instead).
  const teamsExcerpts = async () => {
    const excerpts = await fetchJobExcerpts(facts, context.gitlab);
    return excerpts ? { excerpts } : {};
  };

  // The commit author, resolved at send time (a replay that sends nothing looks nobody up);
  // local mode prints who would have been mentioned beside the printed notice.
  // `authorMention` is the member id the message mentions, kept in the streak when it becomes the parent.
  const sendSlack = async (message: (authorMention: string | undefined) => SlackMessage, channel?: string, threadTs?: string) => {
    if (target.target.kind !== 'slack') throw new Error('not a Slack destination');
    const mention = author && mentions ? await mentions.slack(author, state, facts.projectUrl) : undefined;
    const authorMention = mention?.mention?.id;
    const sent = await outlets.slackPost(channel ?? target.target.channel, message(authorMention), threadTs);
    if (sent.dryRun && author && mention) mentions?.printWould(channel ?? target.target.channel, [[author, mention]]);
    return { sent, authorMention };
  };
  const sendTeams = async (options: PipelineFailedCardOptions) => {
    if (target.target.kind !== 'teams') throw new Error('not a Teams destination');
    const mention = author && mentions ? mentions.teams(author) : undefined;
    const sent = await outlets.teamsPost(
      target.target.webhook,
      pipelineFailedCard(facts, {
        ...options,
        ...(await teamsExcerpts()),
        ...(mention?.mention ? { authorMention: mention.mention } : {}),
        ...(context.retryButton ? { retryLink: true } : {}),
      }),
    );
    if (sent.dryRun && author && mention) mentions?.printWould(`Teams webhook "${target.target.webhook}"`, [[author, mention]]);
    return sent;
  };

  /** Re-renders the parent from the streak as stored: its count, flaky marks and mention (chat.update is idempotent). */
  const updateParent = async (): Promise<ActionRunResult> => {
    const current = await state.get<RefFailureState>(failureKey);
    if (!isRed(current) || !current.ts || !current.channel) return { skipped: 'the ref has no failing streak with a Slack parent any more' };
    const { ts, channel } = current;
    const now = context.now?.() ?? new Date();
    const read = async () => renderStreakParent(state, (await state.get<RefFailureState>(failureKey)) ?? current, facts.projectKey, now);
    try {
      return await updateUntilStable(read, (message) => outlets.slackUpdate(channel, ts, message));
    } catch (error) {
      if (isMissingMessage(error)) return { skipped: `the parent notice of the streak (ts ${current.ts}) no longer exists in Slack` };
      throw error;
    }
  };

  // Storm folding (./rollup.ts): past the channel's threshold a failure folds into the rollup.
  const storm = target.target.kind === 'slack' ? stormOptionsOf(target.routes) : undefined;
  const fold = async () => {
    if (!storm || target.target.kind !== 'slack') return undefined;
    const line = rollupLine(base.key, failureKey, facts);
    const decision = await decideStorm(state, target.id, target.target.channel, storm, line, context.now?.() ?? new Date());
    if (!decision.fold) return undefined;
    return { rollup: decision.rollup, sent: await foldIntoRollup(state, outlets, decision.rollup, target.target.channel, line) };
  };

  const postNew = async (current: RefFailureState | undefined): Promise<ActionRunResult> => {
    const kind = classifyFailure(facts, current);
    const folded = await fold();
    if (folded) {
      // The streak starts without a parent notice: its later failures and its recovery go to the rollup's line.
      if (kind === 'new') await putAfterPost(context, failureKey, startStreak(facts, compactPipelineFacts(facts), { rollup: folded.rollup }, facts.finishedAt));
      return folded.sent;
    }
    const options = {
      ...(kind === 'new' ? { newFailure: current === undefined ? ('unknown' as const) : ('after-green' as const) } : {}),
      ...withAlso(alsoFailing),
      ...(excerptsUnavailable ? { excerptsUnavailable } : {}),
      // A recovered failure is announced even when the ref has passed since ('stale'), and says so.
      ...(context.late ? { late: { failedAt: context.late.receivedAt, recoveredSince: kind === 'stale' } } : {}),
      ...(retryOffered ? { retry: { value: retryButtonValue(facts) } } : {}),
    };
    const { sent, authorMention } =
      target.target.kind === 'slack'
        ? await sendSlack((authorMention) => formatPipelineFailed(facts, { ...options, ...(authorMention ? { authorMention } : {}) }))
        : { sent: await sendTeams(options), authorMention: undefined };
    // A printed notice (local mode) starts the streak too, so the recovery shows up (unthreaded).
    const ids = sent.result && 'ts' in sent.result ? { ts: sent.result.ts, channel: sent.result.channel } : {};
    const parent = { ...ids, ...(authorMention ? { authorMention } : {}), ...(retryOffered ? { retryOffered } : {}) };
    if (kind === 'new') await putAfterPost(context, failureKey, startStreak(facts, compactPipelineFacts(facts), parent, facts.finishedAt));
    return sent;
  };

  const continueStreak = async (current: RefFailureState): Promise<ActionRunResult> => {
    const next = extendStreak(current, facts);
    const streak = streakInfo(next);
    if (target.target.kind === 'teams') {
      const sent = await sendTeams({ streak, ...withAlso(alsoFailing) });
      if (next !== current) await putAfterPost(context, failureKey, next);
      return sent;
    }
    if (!current.ts && current.rollup) {
      // The streak's first failure was folded: so is this one while the storm lasts.
      const folded = await fold();
      if (folded) {
        if (next !== current || next.rollup !== folded.rollup) await putAfterPost(context, failureKey, { ...next, rollup: folded.rollup });
        return folded.sent;
      }
    }
    if (current.ts) {
      let sent;
      try {
        ({ sent } = await sendSlack(
          (authorMention) => formatPipelineFailedReply(facts, streak, alsoFailing, authorMention),
          current.channel ?? target.target.channel,
          current.ts,
        ));
      } catch (error) {
        if (!isMissingMessage(error)) throw error;
      }
      if (sent) {
        if (next !== current) await putAfterPost(context, failureKey, next);
        if (!updatePlanned) await updateParent().catch(() => undefined);
        return sent;
      }
    }
    // The parent was deleted (or only printed, in local mode): this failure's notice, saying
    // how long the ref has been failing, is posted top-level and becomes the parent.
    const { sent, authorMention } = await sendSlack((authorMention) =>
      formatPipelineFailed(facts, { streak, ...withAlso(alsoFailing), ...(authorMention ? { authorMention } : {}) }),
    );
    const { ts: _oldTs, channel: _oldChannel, authorMention: _oldMention, ...rest } = next;
    await putAfterPost(context, failureKey, {
      ...rest,
      facts: compactPipelineFacts(facts),
      ...(sent.result ? { ts: sent.result.ts, channel: sent.result.channel } : {}),
      ...(authorMention ? { authorMention } : {}),
    });
    return current.ts ? keeping(sent, { replaced: current.ts }) : sent;
  };

  const failed: PlannedAction = {
    ...base,
    run: () =>
      withStreakLock(state, failureKey, base.key, async () => {
        const current = await state.get<RefFailureState>(failureKey);
        return classifyFailure(facts, current) === 'continues' ? continueStreak(current!) : postNew(current);
      }),
  };
  // While a storm's rollup is open, a failure replied in its ref's thread is listed there too,
  // after the reply and apart from it (a busy rollup then retries the listing, not the reply).
  // Folding is on by default (issue 14): with only the defaults, the listing is planned when the
  // failure is known to continue a streak, so a lone notice records no "not a thread reply" outcome.
  const listable = updatePlanned || target.routes.some((route) => route.options.storm !== undefined && route.options.storm !== false);
  const listed: PlannedAction[] =
    storm && listable
      ? [
          {
            key: `${base.key}:rollup`,
            kind: 'slack',
            target: base.target,
            summary: `pipeline #${facts.pipelineId} listed in the storm rollup`,
            after: { keys: [base.key], otherwise: 'no failure notice was posted in the thread' },
            run: async (followed): Promise<ActionRunResult> => {
              if (!followed?.get(base.key)?.thread_ts) return { skipped: 'not a thread reply' };
              const line = { ...rollupLine(base.key, failureKey, facts), threaded: true };
              return (await listInOpenRollup(state, outlets, target.id, storm, line, context.now?.() ?? new Date())) ?? { skipped: 'no storm rollup is open' };
            },
          },
        ]
      : [];
  if (!updatePlanned) return [failed, ...listed];
  const updateKey = `${target.id}:pipeline:${facts.projectKey}:${planned!.pipelineId}:still-failing:${facts.pipelineId}${roundSuffix(facts.round)}`;
  const update: PlannedAction = {
    key: updateKey,
    kind: 'slack',
    target: base.target,
    summary: `pipeline #${planned!.pipelineId} failure notice updated: still failing at #${facts.pipelineId}`,
    after: { keys: [base.key], otherwise: 'no failure notice was posted in the thread' },
    run: async (followed): Promise<ActionRunResult> => {
      const notice = followed?.get(base.key);
      if (notice?.rollup) return { skipped: `the failure of #${facts.pipelineId} was folded into the storm rollup` };
      if (!notice?.thread_ts) return { skipped: `the notice of #${facts.pipelineId} is the parent itself (posted top-level)` };
      return withStreakLock(state, failureKey, updateKey, updateParent);
    },
  };
  return [failed, update, ...listed];
}

/**
 * The failed jobs' log excerpts, one reply in the failure notice's thread (key
 * `<failure key>:excerpt`): runs only after the notice went out, reads the notice's ts and
 * channel from it, and fetches the logs then (not at plan time), so a replay that finds the
 * reply done fetches nothing. The notice itself never waits on GitLab.
 */
function excerptAction(facts: PipelineFacts, target: TargetRoutes, failedKey: string, context: PipelinePlanContext): PlannedAction {
  const channel = target.target.kind === 'slack' ? target.target.channel : '';
  return {
    key: `${failedKey}:excerpt`,
    kind: 'slack',
    target: targetName(target.target),
    summary: `pipeline #${facts.pipelineId} failed jobs' log excerpts`,
    after: { keys: [failedKey], otherwise: 'the failure notice was not posted' },
    run: async (followed): Promise<ActionRunResult> => {
      const parent = followed?.get(failedKey);
      // A folded failure has no thread of its own; the rollup links its pipeline.
      if (parent?.rollup) return { skipped: 'the failure was folded into the storm rollup: no thread to reply in' };
      const excerpts = (await fetchJobExcerpts(facts, context.gitlab)) ?? { unavailable: 'no failed job to read' };
      // A notice that went into a red streak's thread is itself a reply: its excerpts join that thread.
      return context.outlets.slackPost(parent?.channel ?? channel, formatPipelineExcerpts(facts, excerpts), parent?.thread_ts ?? parent?.ts);
    },
  };
}

function withAlso(alsoFailing: AlsoFailing | undefined): { alsoFailing?: AlsoFailing } {
  return alsoFailing ? { alsoFailing } : {};
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
  const failureRound = roundSuffix(firstRound(failure));
  // The same streak: its first failure (a replaced parent keeps it).
  const sameFailure = (state: RefFailureState | undefined): state is RefFailureState =>
    state !== undefined && state.pipelineId === failure.pipelineId && firstRound(state) === firstRound(failure);
  // Re-read: a newer failure recorded meanwhile must not be overwritten by this stale copy.
  // The pipeline that failed turned green: the jobs its notice listed failed passed on retry.
  // In a streak of several, the newest failure is the one a retry can have turned green.
  const latest = latestFailure(failure);
  const flakyJobs = latest.pipelineId === facts.pipelineId ? [...new Set(failure.latest?.jobNames ?? failure.facts.failedJobs.map((job) => job.name))] : [];
  const now = () => context.now?.() ?? new Date();
  const key = `${target.id}:pipeline:${facts.projectKey}:${facts.pipelineId}:recovered${roundSuffix(facts.round)}`;
  const recordFlaky = async () => {
    for (const job of flakyJobs) await recordFlakyJob(context.state, facts.projectKey, job, latest.pipelineId, now());
  };
  // Under the streak lock, from a fresh read: a failure newer than this green pipeline,
  // recorded meanwhile, keeps the ref red.
  const markResolved = () => withStreakLock(context.state, failureKey, key, () => markGreen(context.state, failureKey, facts, sameFailure));
  const reservation = `${failureKey}:recovery:${failure.pipelineId}${failureRound}`;
  const fixedBy = { pipelineId: facts.pipelineId, pipelineUrl: facts.pipelineUrl };
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
      // The streak's parent as it is now: a failure may have replaced a deleted one since planning.
      const parentNow = sameFailure(current) ? current : failure;
      try {
        await recordFlaky();
        if (target.target.kind === 'slack' && !parentNow.ts && parentNow.rollup) {
          // Folded: the rollup's line says it, no thread reply.
          const shown = await reflectRecovery(context.state, context.outlets, target.id, failureKey, fixedBy, parentNow.rollup);
          await markResolved();
          return shown ?? { skipped: `no storm rollup lists the failure of #${failure.pipelineId} any more` };
        }
        if (target.target.kind === 'slack') {
          const channel = parentNow.channel ?? target.target.channel;
          const message = formatPipelineRecovered(facts, { ...failed, flakyJobs });
          const threadTs = parentNow.ts;
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
  // A recovery announced in a thread also marks the ref's lines in the storm's rollups (those
  // posted before the storm folded), after the reply and apart from it.
  const rollupFixed: PlannedAction[] =
    target.target.kind === 'slack' && failure.ts && stormOptionsOf(target.routes)
      ? [
          {
            key: `${key}:rollup`,
            kind: 'slack',
            target: name,
            summary: `storm rollup lines of #${failure.pipelineId} marked fixed by #${facts.pipelineId}`,
            after: { keys: [key], otherwise: 'this pipeline did not announce the recovery' },
            run: async (): Promise<ActionRunResult> =>
              (await reflectRecovery(context.state, context.outlets, target.id, failureKey, fixedBy)) ?? { skipped: 'no storm rollup lists this ref' },
          },
        ]
      : [];
  if (target.target.kind !== 'slack' || !failure.ts || !failure.channel) return [reply, ...rollupFixed];
  const parent: PlannedAction = {
    key: `${target.id}:pipeline:${facts.projectKey}:${failure.pipelineId}:fixed${failureRound}`,
    kind: 'slack',
    target: name,
    summary: `pipeline #${failure.pipelineId} failure notice marked fixed by #${facts.pipelineId}`,
    // Only the green pipeline that announced the recovery marks the notice fixed (by itself).
    after: { keys: [key], otherwise: 'this pipeline did not announce the recovery' },
    run: async (): Promise<ActionRunResult> => {
      const current = await context.state.get<RefFailureState>(failureKey);
      if (sameFailure(current) && current.resolvedBy !== facts.pipelineId) {
        return { skipped: `a failure newer than #${facts.pipelineId} (#${latestFailure(current).pipelineId}) keeps the ref red` };
      }
      const streak = sameFailure(current) ? current : failure;
      const ts = streak.ts ?? failure.ts!;
      const channel = streak.channel ?? failure.channel!;
      try {
        await recordFlaky();
        // Flaky marks a job event put on the notice (./job-actions.ts), its streak line and
        // author mention stay on the fixed one.
        const resolvedBy = { pipelineId: facts.pipelineId, pipelineUrl: facts.pipelineUrl };
        const read = async () => {
          const again = await context.state.get<RefFailureState>(failureKey);
          return renderStreakParent(context.state, sameFailure(again) ? again : streak, facts.projectKey, now(), resolvedBy);
        };
        return await updateUntilStable(read, (message) => context.outlets.slackUpdate(channel, ts, message));
      } catch (error) {
        if (isMissingMessage(error)) return { skipped: `the failure notice of #${failure.pipelineId} (ts ${ts}) no longer exists in Slack` };
        throw error;
      }
    },
  };
  return [reply, parent, ...rollupFixed];
}
