import { shortRef } from '../gitlab/events.js';
import { projectKey } from '../gitlab/project-identity.js';
import { MergeRequestEventSchema, PushEventSchema, type MergeRequestEvent, type PushEvent } from '../gitlab/schemas.js';
import { configuredOutlets, Outlets } from '../notify/outlets.js';
import { mergeRequestParent, redRefNotice, slackDestinations } from '../notify/slack-threads.js';
import { unsentOutlet } from '../secrets/unsent.js';
import type { PlanContext, PlannedAction, Planner, PlannerDeps } from '../worker/action.js';
import { on } from '../worker/event-table.js';
import type { JiraConfig } from './config.js';
import { withEcho, type EchoPlan } from './echo.js';
import type { JiraAction } from './issue-actions.js';
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
 *
 * With `echoJira` (the default), what Jira did and refused is also posted once in the Slack
 * thread of the merge request, or of the pushed branch's failure notice (./echo.ts).
 */
export function createJiraPlanner(deps: PlannerDeps): Planner {
  const config = deps.config.jira;
  const unsent = unsentOutlet(deps.print);
  // A session per delivery: credentials are read once, when its first action runs.
  const session = (jira: JiraConfig) => new JiraSession(deps.credentials, jira, unsent);
  // Built like the notify planner's: the Slack client is made on first use, from the credentials.
  const outlets = configuredOutlets(deps.credentials, { slackApiUrl: deps.config.slack?.apiUrl, print: deps.print });
  const echo = { deps, outlets, unsent };
  return {
    name: 'jira',
    enabled: config !== undefined,
    events: {
      push: on(PushEventSchema, (event, context) => (config ? echoPush(event, planPush(event, config, session(config), context), config, context, echo) : [])),
      merge_request: on(MergeRequestEventSchema, (event, context) =>
        config ? echoMergeRequest(event, planMergeRequest(event, config, session(config)), config, context, echo) : [],
      ),
    },
  };
}

interface EchoWiring {
  deps: PlannerDeps;
  outlets: Outlets;
  unsent: EchoPlan['unsent'];
}

/** An MR's echo goes to its parent message in each Slack channel routed for its MR events. */
function echoMergeRequest(event: MergeRequestEvent, actions: JiraAction[], config: JiraConfig, context: PlanContext, wiring: EchoWiring): PlannedAction[] {
  if (!config.echoJira || actions.length === 0) return actions;
  const project = projectKey(event.project);
  const mr = event.object_attributes;
  const what = `${event.project.path_with_namespace}!${mr.iid}`;
  const places = slackDestinations(wiring.deps.config.routes, 'merge_request', event.project.path_with_namespace).map((destination) => ({
    destination,
    thread: () => mergeRequestParent(context.state, destination.id, project, mr.iid),
    missing: `the bridge posted no message for ${what} in ${destination.channel}`,
    mayAppear: true,
  }));
  return withEcho(actions, {
    deliveryKind: 'merge_request',
    projectKey: project,
    subject: `${mr.iid}:${mr.action ?? 'event'}`,
    what,
    places,
    outlets: wiring.outlets.pacedBy(context.state),
    unsent: wiring.unsent,
    previous: context.delivery.outcomes,
    deliveryId: context.delivery.id,
  });
}

/** A push's echo goes to the pushed branch's failure notice, in each channel where the branch is red. */
function echoPush(event: PushEvent, actions: JiraAction[], config: JiraConfig, context: PlanContext, wiring: EchoWiring): PlannedAction[] {
  if (!config.echoJira || actions.length === 0) return actions;
  const project = projectKey(event.project);
  const branch = shortRef(event.ref);
  const places = slackDestinations(wiring.deps.config.routes, 'pipeline', event.project.path_with_namespace).map((destination) => ({
    destination,
    thread: () => redRefNotice(context.state, destination.id, project, branch),
    missing: `${branch} has no open failure notice in ${destination.channel}`,
  }));
  return withEcho(actions, {
    deliveryKind: 'push',
    projectKey: project,
    subject: event.after,
    what: `the push to ${branch}`,
    places,
    outlets: wiring.outlets.pacedBy(context.state),
    unsent: wiring.unsent,
    previous: context.delivery.outcomes,
    deliveryId: context.delivery.id,
  });
}
