import type { ActionOutcome } from '../deliveries/record.js';
import type { EffectResult } from '../effects/ledger.js';
import { BridgeError, WaitsForRetry, describeError, isRetryable } from '../errors.js';
import type { Outlets } from '../notify/outlets.js';
import { formatJiraEcho, type JiraEcho } from '../notify/slack/jira-echo.js';
import { isMissingMessage } from '../notify/slack/slack-sender.js';
import type { SlackDestination, SlackThread } from '../notify/slack-threads.js';
import type { UnsentOutlet } from '../secrets/unsent.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import type { EchoRole, JiraAction } from './issue-actions.js';

/** Where one delivery's echo goes: a Slack channel and how to find the thread there at run time. */
export interface EchoPlace {
  destination: SlackDestination;
  /** The thread to reply in, read when the echo runs (the MR's parent may be posted by this delivery). */
  thread(): Promise<SlackThread | undefined>;
  /** Why there is none: `no message for group/project!12 in #dev`. */
  missing: string;
  /**
   * Whether a missing thread may still come: an MR's parent is posted by this delivery's notify
   * actions, which may have failed in this attempt (a Slack 429) and be retried; a red ref's
   * failure notice is not, so a push to a green branch has none for good.
   */
  mayAppear?: boolean;
}

export interface EchoPlan {
  /** `merge_request` or `push`. */
  deliveryKind: string;
  projectKey: string;
  /** What in the project: the MR's iid and action (`12:merged`), or the push's after-sha. */
  subject: string;
  /** For summaries: `group/project!12`, `push to main`. */
  what: string;
  places: readonly EchoPlace[];
  outlets: Outlets;
  unsent: UnsentOutlet;
  /** This delivery's outcomes from its earlier attempts: refusals recorded then are listed too. */
  previous: readonly ActionOutcome[];
  /** This delivery's id: what its Jira actions did is marked with it, so another delivery's is not reported. */
  deliveryId: string;
}

/**
 * The key under which an echoed action's result records the delivery that did it. The echo of a
 * later delivery (an MR reopened: its `review` transition was done when it was opened) finds
 * the effect done with a result, but reports only what its own delivery did.
 */
export const ECHO_DELIVERY_RESULT_KEY = 'deliveryId';

type Ran = { result?: EffectResult; skipped?: string; dryRun?: string } | { failed: string; retryable: boolean };

/**
 * Adds, after a delivery's Jira actions, one Slack reply per thread listing what Jira did
 * (`ABC-12 → Done`, `ABC-12: comment added`, `ABC-12: 1h 30m logged`) and what it refused, and
 * why. The reply follows the echoed actions (`after`): it runs only when one of them acted, once
 * (its key is per destination and push or MR action), and reads what the acted ones did from
 * their results; refusals come from the plan (skip reasons), this attempt's runs, or the
 * delivery's earlier attempts. While an echoed action failed in this attempt and will be retried,
 * the reply waits for the retry, so it reports the outcome rather than half of it.
 */
export function withEcho(actions: readonly JiraAction[], plan: EchoPlan): PlannedAction[] {
  const echoed = actions.filter((action) => action.echo !== undefined && action.skipReason === undefined);
  if (echoed.length === 0 || plan.places.length === 0) return [...actions];

  const ran = new Map<string, Ran>();
  const watched: JiraAction[] = actions.map((action) =>
    action.echo === undefined || action.skipReason !== undefined
      ? action
      : {
          ...action,
          run: async (followed) => {
            try {
              const outcome = await action.run(followed);
              ran.set(action.key, outcome ?? {});
              // Acted (not skipped, not printed): record which delivery did it, for later echoes.
              if (outcome?.skipped !== undefined || outcome?.dryRun !== undefined) return outcome;
              return { ...outcome, result: { ...outcome?.result, [ECHO_DELIVERY_RESULT_KEY]: plan.deliveryId } };
            } catch (error) {
              ran.set(action.key, { failed: describeError(error), retryable: isRetryable(error) });
              throw error;
            }
          },
        },
  );
  const previous = new Map(plan.previous.map((outcome) => [outcome.key, outcome]));
  const keys = echoed.map((action) => action.key);

  const echoes: PlannedAction[] = plan.places.map((place) => ({
    key: `${place.destination.id}:jira-echo:${plan.deliveryKind}:${plan.projectKey}:${plan.subject}`,
    kind: 'slack',
    target: place.destination.channel,
    summary: `Jira results for ${plan.what}, in its thread`,
    after: { keys, otherwise: 'no Jira results to post: nothing was done in Jira' },
    run: async (followed): Promise<ActionRunResult> => {
      const waiting = echoed.filter((action) => {
        const entry = ran.get(action.key);
        return entry !== undefined && 'failed' in entry && entry.retryable;
      });
      if (waiting.length > 0) {
        throw new BridgeError(
          `waiting for ${waiting.map((action) => action.target).join(', ')} (failed in this attempt): the Jira results follow on the retry`,
        );
      }
      const echo = summarize(actions, ran, followed ?? new Map(), previous, plan.deliveryId);
      const thread = await place.thread();
      if (!thread) {
        const skipped = `no thread to reply in: ${place.missing}`;
        // The MR's parent may have failed to post in this attempt (a Slack 429): completing a
        // skip now would lose the echo, since the retry posts the parent but not this reply.
        // The worker retries it only when the delivery is retried anyway, else records the skip.
        if (place.mayAppear) throw new WaitsForRetry(`no thread to reply in yet (${place.missing}): the Jira results follow on the retry`, skipped);
        return { skipped };
      }
      if (echo.done.length === 0) return { skipped: 'no Jira results to post: nothing was done in Jira' };
      const message = formatJiraEcho(echo);
      if (echo.printedOnly) {
        // Jira was not called (local mode without Jira credentials): print the reply too.
        return plan.unsent({
          printout: `── would reply in ${thread.channel} (thread ${thread.ts}): ${message.text}\n`,
          dryRun: 'Jira effects were printed, not sent: their results too',
          error: 'Jira effects were printed, not sent',
        });
      }
      try {
        return await plan.outlets.slackPost(thread.channel, message, thread.ts);
      } catch (error) {
        // The parent was deleted in Slack (thread_not_found): failing would repeat on every push.
        if (isMissingMessage(error)) return { skipped: `the thread's parent message (ts ${thread.ts}) no longer exists in Slack` };
        throw error;
      }
    },
  }));
  return [...watched, ...echoes];
}

function summarize(
  actions: readonly JiraAction[],
  ran: ReadonlyMap<string, Ran>,
  followed: ReadonlyMap<string, EffectResult>,
  previous: ReadonlyMap<string, ActionOutcome>,
  deliveryId: string,
): JiraEcho & { printedOnly: boolean } {
  const done: string[] = [];
  const refused: string[] = [];
  let sent = false;
  for (const action of actions) {
    // A comment that follows a transition says nothing of its own when it does not run.
    if (action.skipReason !== undefined) {
      if (!action.after) refused.push(`${action.target}: ${action.skipReason}`);
      continue;
    }
    if (!action.echo) continue;
    const entry = ran.get(action.key);
    if (entry && 'failed' in entry) {
      refused.push(`${action.target}: failed: ${entry.failed}`);
      continue;
    }
    if (entry?.dryRun !== undefined) {
      done.push(`would ${action.summary}`);
      continue;
    }
    if (entry?.skipped !== undefined) {
      refused.push(`${action.target}: ${entry.skipped}`);
      continue;
    }
    // Done in this attempt, or by this delivery before (its result says so): an effect another
    // delivery did ("already sent" from the MR's first opening) is not this delivery's to report.
    const result = entry?.result ?? followed.get(action.key);
    if (entry || (result && result[ECHO_DELIVERY_RESULT_KEY] === deliveryId)) {
      sent = true;
      done.push(actedLine(action.target, action.echo, result ?? {}));
      continue;
    }
    // Done or refused in an earlier attempt of this delivery: its key is not run again.
    const before = previous.get(action.key);
    if (before?.status === 'skipped' && before.reason && !before.reason.startsWith('already sent')) refused.push(`${action.target}: ${before.reason}`);
  }
  return { done, refused, printedOnly: done.length > 0 && !sent };
}

function actedLine(issueKey: string, role: EchoRole, result: EffectResult): string {
  switch (role.kind) {
    case 'transition':
      return `${issueKey} → ${result.to ?? result.transition ?? 'moved'}`;
    case 'comment':
      return `${issueKey}: comment added`;
    case 'worklog':
      return `${issueKey}: ${role.duration} logged`;
  }
}
