import { BridgeError } from '../errors.js';
import type { MergeRequestEvent } from '../gitlab/schemas.js';
import type { MergeRequestAction } from '../routing/schema.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import { mergeRequestAction, mergeRequestFacts, type MergeRequestFacts } from './merge-request-facts.js';
import { mergeRequestReviewers } from './mentions/event-people.js';
import type { NoticeMentions } from './mentions/notice-mentions.js';
import type { ChatPerson, Resolved, SlackMention } from './mentions/resolver.js';
import { keeping, type Outlets, type Sent, type SlackMessageIds } from './outlets.js';
import { eventTime, mergeRequestThreadKey, occurrence, parentStatus, parseGitLabTime, type MergeRequestThreadState } from './merge-request-thread.js';
import { formatMergeRequestParent, formatMergeRequestReply, type MergeRequestStatus } from './slack/merge-request.js';
import { isMissingMessage } from './slack/slack-sender.js';
import { targetName, type TargetRoutes } from './targets.js';
import { mergeRequestCard } from './teams/merge-request.js';

interface MergeRequestPlanContext {
  state: StateStore;
  outlets: Outlets;
  /** Fallback for effect keys when the payload carries no event time. */
  deliveryId: string;
  /** Reviewers to mention in the Slack parent message (lib/notify/mentions); none when absent. */
  mentions?: NoticeMentions;
}

/**
 * Only one worker may post an MR's parent message (two events of a new MR, say open and
 * approval, can be processed at once by two worker Lambdas). The reservation is a conditional
 * write next to the thread state; its lease covers a post and a state write with Slack's
 * retries (3 x 5 s) and frees the MR if that worker dies.
 */
const PARENT_LEASE_SECONDS = 60;

/**
 * How long the loser of that race waits for the winner's parent before handing the delivery
 * back to the queue: the winner normally records it within a Slack round trip.
 */
export const PARENT_WAIT = { attempts: 10, intervalMs: 300 };

/**
 * Another worker holds the reservation to post this MR's parent message and has not recorded
 * it yet. Retryable: the queue redelivers the event, which then threads under the parent.
 */
export class ParentMessagePending extends BridgeError {
  override readonly name = 'ParentMessagePending';
  constructor(readonly threadKey: string) {
    super(`another delivery is posting the parent message of ${threadKey}; retrying to thread under it`);
  }
}

/** The actions a merge request event calls for at each destination. */
export async function planMergeRequest(event: MergeRequestEvent, targets: readonly TargetRoutes[], context: MergeRequestPlanContext): Promise<PlannedAction[]> {
  const facts = mergeRequestFacts(event);
  const action = mergeRequestAction(event);
  const actions: PlannedAction[] = [];
  const label = `MR !${facts.iid}`;
  for (const target of targets) {
    const { kind } = target.target;
    const name = targetName(target.target);
    const keyBase = `${target.id}:mr:${facts.projectKey}:${facts.iid}`;
    const skip = (suffix: string, reason: string): PlannedAction => ({
      key: `${keyBase}:${suffix}`,
      kind,
      target: name,
      summary: `${label} ${suffix} notice`,
      skipReason: reason,
      run: async () => undefined,
    });
    if (action === undefined) {
      const raw = event.object_attributes.action ?? 'unknown';
      actions.push(skip(raw, `merge request ${raw}: not an action that notifies`));
      continue;
    }
    const suffix = `${action}${occurrence(event, action, context.deliveryId)}`;
    if (!target.routes.some((route) => route.options.mergeRequestActions.includes(action))) {
      actions.push(skip(suffix, `merge request ${action}: not in mergeRequestActions of the matching routes`));
      continue;
    }
    if (facts.draft && target.routes.every((route) => route.options.skipDraftMergeRequests)) {
      actions.push(skip(suffix, 'draft merge request; skipDraftMergeRequests is on'));
      continue;
    }
    if (target.target.kind === 'teams') {
      const webhook = target.target.webhook;
      actions.push({
        key: `${keyBase}:${suffix}`,
        kind,
        target: name,
        summary: `${label} ${action} card`,
        run: async (): Promise<ActionRunResult> => {
          return context.outlets.teamsPost(webhook, mergeRequestCard(facts, action));
        },
      });
      continue;
    }
    actions.push(...(await planSlack(event, facts, action, suffix, target.target.channel, target, context)));
  }
  return actions;
}

async function planSlack(
  event: MergeRequestEvent,
  facts: MergeRequestFacts,
  action: MergeRequestAction,
  suffix: string,
  channel: string,
  target: TargetRoutes,
  context: MergeRequestPlanContext,
): Promise<PlannedAction[]> {
  const { state, outlets } = context;
  const threadKey = mergeRequestThreadKey(target.id, facts.projectKey, facts.iid);
  const reservationKey = `${threadKey}:reserve`;
  const key = `${target.id}:mr:${facts.projectKey}:${facts.iid}:${suffix}`;
  const label = `MR !${facts.iid}`;
  const statusAt = parseGitLabTime((event.object_attributes as Record<string, unknown>).actioned_at) ?? parseGitLabTime(event.object_attributes.updated_at);
  const newStatus = parentStatus(event, action, facts.draft);
  const parent = await state.get<MergeRequestThreadState>(threadKey);

  // Reviewers as `<@U…>` in the parent, resolved once per run (at send time, not while planning),
  // unless a route sending here has `mentionAuthors: false`.
  const mentionOn = context.mentions !== undefined && target.routes.every((route) => route.options.mentionAuthors !== false);
  let reviewers: Promise<Array<[ChatPerson, Resolved<SlackMention>]>> | undefined;
  const resolveReviewers = () =>
    (reviewers ??= mentionOn ? context.mentions!.slackByName(mergeRequestReviewers(event), state, facts.projectUrl) : Promise.resolve([]));
  const reviewerMentions = async () => {
    const ids = new Map<string, string>();
    for (const [person, outcome] of await resolveReviewers()) {
      const name = person.name ?? person.username;
      if (name !== undefined && outcome.mention) ids.set(name, outcome.mention.id);
    }
    return { reviewers: ids };
  };

  /** Posts a new parent message (with `status`) and makes it the MR's thread in this channel. */
  const postParent = async (status: MergeRequestStatus, postedBy: string, author = facts.author): Promise<Sent<SlackMessageIds>> => {
    const sent = await outlets.slackPost(
      channel,
      formatMergeRequestParent({ ...facts, ...(author ? { author } : {}) }, status, facts.actor, action, await reviewerMentions()),
    );
    if (sent.dryRun) context.mentions?.printWould(channel, await resolveReviewers());
    if (!sent.result) return sent;
    await state.put<MergeRequestThreadState>(threadKey, {
      ts: sent.result.ts,
      channel: sent.result.channel,
      status,
      ...(statusAt !== undefined ? { statusAt } : {}),
      ...(author ? { author } : {}),
      postedBy,
    });
    return sent;
  };

  /** chat.update of the parent's status line, never moving it back. */
  const setStatus = async (status: MergeRequestStatus, updateKey: string): Promise<ActionRunResult> => {
    // Deliveries run concurrently: read the parent again and never move its status back.
    const current = (await state.get<MergeRequestThreadState>(threadKey)) ?? parent;
    if (!current) return { skipped: 'merge request has no message in this channel' };
    if (current.status === 'merged' && status !== 'merged') return { skipped: 'message already shows the merge request as merged' };
    if (current.statusAt !== undefined && statusAt !== undefined && statusAt < current.statusAt) {
      return { skipped: `message already shows a newer status (${current.status})` };
    }
    const author = facts.author ?? current.author;
    let updated;
    try {
      updated = await outlets.slackUpdate(
        current.channel,
        current.ts,
        formatMergeRequestParent({ ...facts, ...(author ? { author } : {}) }, status, facts.actor, undefined, await reviewerMentions()),
      );
    } catch (error) {
      if (!isMissingMessage(error)) throw error;
      // Someone deleted the parent: a new one with the status becomes the MR's thread.
      return keeping(await postParent(status, updateKey, author), { replaced: current.ts });
    }
    if (updated.result) await state.put<MergeRequestThreadState>(threadKey, { ...current, status, ...(statusAt !== undefined ? { statusAt } : {}) });
    return updated;
  };

  /** This event's reply in the thread; a deleted parent gets replaced by this event's notice. */
  const reply = async (under: MergeRequestThreadState): Promise<ActionRunResult> => {
    try {
      return await outlets.slackPost(under.channel, formatMergeRequestReply(facts, action), under.ts);
    } catch (error) {
      if (!isMissingMessage(error)) throw error;
      return keeping(await postParent(newStatus ?? under.status, key, facts.author ?? under.author), { replaced: under.ts });
    }
  };

  /** Another delivery posted the parent after this one was planned: thread under it instead. */
  const joinThread = async (existing: MergeRequestThreadState): Promise<ActionRunResult> => {
    if (action === 'opened') return { skipped: `merge request already has a message in this channel (ts ${existing.ts})` };
    // Status first: chat.update is idempotent, so a failed reply retried later repeats nothing visible.
    if (newStatus !== undefined) await setStatus(newStatus, key);
    return reply((await state.get<MergeRequestThreadState>(threadKey)) ?? existing);
  };

  const parentUpdate = (updateKey: string, status: MergeRequestStatus): PlannedAction => ({
    key: updateKey,
    kind: 'slack',
    target: channel,
    summary: `${label} message status set to ${status}`,
    run: () => setStatus(status, updateKey),
  });

  // A draft marked ready that already has a message (posted as a draft): its status line
  // becomes Open; no second top-level message. The key carries the event time, as an MR can go
  // back to draft and be marked ready again.
  if (parent && action === 'opened' && event.object_attributes.action === 'update') {
    const updateKey = `${target.id}:mr:${facts.projectKey}:${facts.iid}:ready:${eventTime(event, context.deliveryId)}:parent`;
    if (parent.status === 'draft') return [parentUpdate(updateKey, 'open')];
    // Else this event posted the parent itself (skipDraftMergeRequests) and is redelivered: the
    // usual path below finds it already sent.
    if (parent.postedBy !== key) {
      return [
        {
          key: updateKey,
          kind: 'slack',
          target: channel,
          summary: `${label} message status set to open`,
          skipReason: `message already shows the merge request as ${parent.status}`,
          run: async () => undefined,
        },
      ];
    }
  }

  // No parent yet (the MR was opened before the bridge was set up, or this event overtook the
  // `open` one): this event's notice becomes the parent, with the status line set. Only the
  // delivery that reserves the MR posts it; one that loses the race threads under the winner's.
  if (!parent || parent.postedBy === key) {
    return [
      {
        key,
        kind: 'slack',
        target: channel,
        summary: action === 'opened' ? `${label} opened message` : `${label} ${action} message (no earlier message to thread under)`,
        run: async (): Promise<ActionRunResult> => {
          // The loser of the race waits, bounded, for the winner's parent (or for the winner
          // to give the reservation back after a failure), then hands the delivery back to
          // the queue rather than posting a second parent.
          for (let attempt = 1; ; attempt += 1) {
            if (await state.reserve(reservationKey, key, PARENT_LEASE_SECONDS)) break;
            const current = await state.get<MergeRequestThreadState>(threadKey);
            if (current) return joinThread(current);
            if (attempt >= PARENT_WAIT.attempts) throw new ParentMessagePending(threadKey);
            await new Promise((resolve) => setTimeout(resolve, PARENT_WAIT.intervalMs));
          }
          const current = await state.get<MergeRequestThreadState>(threadKey);
          if (current?.postedBy === key) return { result: { ts: current.ts, channel: current.channel } };
          if (current) return joinThread(current);
          const status = newStatus ?? (facts.draft ? 'draft' : 'open');
          let sent;
          try {
            sent = await postParent(status, key);
          } catch (error) {
            await state.release(reservationKey, key);
            throw error;
          }
          // Printed in local mode: no parent was posted, so the MR is free for the next event.
          if (!sent.result) await state.release(reservationKey, key);
          return sent;
        },
      },
    ];
  }
  if (action === 'opened') {
    return [
      {
        key,
        kind: 'slack',
        target: channel,
        summary: `${label} opened message`,
        skipReason: `merge request already has a message in this channel (ts ${parent.ts}); later events thread under it`,
        run: async () => undefined,
      },
    ];
  }

  const replyAction: PlannedAction = {
    key,
    kind: 'slack',
    target: channel,
    summary: `${label} ${action} reply`,
    run: () => reply(parent),
  };
  if (newStatus === undefined) return [replyAction];
  return [replyAction, parentUpdate(`${key}:parent`, newStatus)];
}
