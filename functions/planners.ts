/**
 * The composition of the worker's planners: the one place that knows which features act on
 * GitLab events. The worker Lambda (./worker.ts) and the local bridge (lib/local/bridge.ts) both
 * take their planners from here; lib/worker knows only the Planner interface.
 */
import { createJiraPlanner } from '../lib/jira/planner.js';
import { createNotifyPlanner } from '../lib/notify/planner.js';
import { createSlackActionPlanner } from '../lib/slack/retry-planner.js';
import type { Planner, PlannerDeps } from '../lib/worker/action.js';

/** Every planner the worker consults, in order: chat notices, then Jira, then clicks on notices' buttons. */
export function createPlanners(deps: PlannerDeps): Planner[] {
  return [createNotifyPlanner(deps), createJiraPlanner(deps), createSlackActionPlanner(deps)];
}
