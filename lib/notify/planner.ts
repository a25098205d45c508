import type { ActionPlanner } from '../worker/action.js';
import type { PlannerDeps } from '../worker/planners.js';

// PLACEHOLDER: replaced by the Slack/Teams notify work.
export function createNotifyPlanner(_deps: PlannerDeps): ActionPlanner {
  return { name: 'notify', objectKinds: ['pipeline', 'merge_request'], plan: async () => [] };
}
