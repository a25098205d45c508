import { MergeRequestEventSchema, PushEventSchema } from '../gitlab/schemas.js';
import { unsentOutlet } from '../secrets/unsent.js';
import type { Planner, PlannerDeps } from '../worker/action.js';
import { on } from '../worker/event-table.js';
import type { JiraConfig } from './config.js';
import { planMergeRequest } from './merge-request-actions.js';
import { planPush } from './push-actions.js';
import { JiraSession } from './session.js';

/**
 * The Jira planner: turns pushes and merge request events into Jira effects, one effect key
 * per (issue, commit sha, command) and per (issue, project, MR iid, action).
 *
 * Commit effects are keyed by sha only, never by branch or delivery: the same commit pushed
 * again, pushed to another branch or fork, or replayed finds its keys done in the effect ledger
 * and does nothing twice. A cherry-pick that names its original (`git cherry-pick -x`, GitLab's
 * Cherry-pick button) is keyed by the original's sha, so it does not repeat the original either.
 */
export function createJiraPlanner(deps: PlannerDeps): Planner {
  const config = deps.config.jira;
  const unsent = unsentOutlet(deps.print);
  // A session per delivery: credentials are read once, when its first action runs.
  const session = (jira: JiraConfig) => new JiraSession(deps.credentials, jira, unsent);
  return {
    name: 'jira',
    enabled: config !== undefined,
    events: {
      push: on(PushEventSchema, (event, context) => (config ? planPush(event, config, session(config), context) : [])),
      merge_request: on(MergeRequestEventSchema, (event) => (config ? planMergeRequest(event, config, session(config)) : [])),
    },
  };
}
