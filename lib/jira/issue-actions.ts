import type { PlannedAction } from '../worker/action.js';
import { adfToPlainText, type AdfDocument } from './adf.js';
import type { JiraSession } from './session.js';
import { describeRequest, performTransition, type TransitionRequest } from './transition.js';

// The Jira actions pushes and merge requests share: move an issue, comment on it, or record why not.

/**
 * What the Slack echo (./echo.ts) says of an action that acted: `ABC-12 → Done`,
 * `ABC-12: comment added`, `ABC-12: 1h 30m logged`. Absent: not echoed (a link comment, which
 * only shows the commit or merge request on the issue).
 */
export type EchoRole = { kind: 'transition' } | { kind: 'comment' } | { kind: 'worklog'; duration: string };

/** A Jira effect, with what the echo says of it. The worker sees a PlannedAction. */
export interface JiraAction extends PlannedAction {
  echo?: EchoRole;
}

/** Moves `issueKey` as `request` asks (a workflow intent or a Smart Commit command). */
export function transitionAction(key: string, issueKey: string, request: TransitionRequest, why: string, jira: JiraSession): JiraAction {
  const summary = `move ${issueKey} to ${describeRequest(request)} (${why})`;
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    echo: { kind: 'transition' },
    run: () => jira.run(summary, (gateway) => performTransition(gateway, issueKey, request)),
  };
}

/**
 * Adds `body` as a comment on `issueKey`; the comment id is kept with the effect. A `link`
 * comment (the commit or merge request that moved the issue) is not echoed to Slack.
 */
export function commentAction(
  key: string,
  issueKey: string,
  body: AdfDocument,
  summary: string,
  jira: JiraSession,
  role: 'comment' | 'link' = 'comment',
): JiraAction {
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    ...(role === 'comment' ? { echo: { kind: 'comment' } } : {}),
    run: () =>
      jira.run(`${summary}: ${JSON.stringify(adfToPlainText(body))}`, async (gateway) => {
        const comment = await gateway.addComment(issueKey, body);
        return { result: { commentId: comment.id } };
      }),
  };
}

/** An action recorded as skipped with `reason`, never run: the delivery log says why nothing happened. */
export function skipped(key: string, target: string, summary: string, reason: string): JiraAction {
  return { key, kind: 'jira', target, summary, skipReason: reason, run: async () => undefined };
}
