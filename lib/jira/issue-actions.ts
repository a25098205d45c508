import type { PlannedAction } from '../worker/action.js';
import { adfToPlainText, type AdfDocument } from './adf.js';
import type { JiraSession } from './session.js';
import { describeRequest, performTransition, type TransitionRequest } from './transition.js';

// The Jira actions pushes and merge requests share: move an issue, comment on it, or record why not.

/** Moves `issueKey` as `request` asks (a workflow intent or a Smart Commit command). */
export function transitionAction(key: string, issueKey: string, request: TransitionRequest, why: string, jira: JiraSession): PlannedAction {
  const summary = `move ${issueKey} to ${describeRequest(request)} (${why})`;
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    run: () => jira.run(summary, (gateway) => performTransition(gateway, issueKey, request)),
  };
}

/** Adds `body` as a comment on `issueKey`; the comment id is kept with the effect. */
export function commentAction(key: string, issueKey: string, body: AdfDocument, summary: string, jira: JiraSession): PlannedAction {
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    run: () =>
      jira.run(`${summary}: ${JSON.stringify(adfToPlainText(body))}`, async (gateway) => {
        const comment = await gateway.addComment(issueKey, body);
        return { result: { commentId: comment.id } };
      }),
  };
}

/** An action recorded as skipped with `reason`, never run: the delivery log says why nothing happened. */
export function skipped(key: string, target: string, summary: string, reason: string): PlannedAction {
  return { key, kind: 'jira', target, summary, skipReason: reason, run: async () => undefined };
}
