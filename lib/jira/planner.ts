import type { ActionPlanner } from '../worker/action.js';
import type { PlannerDeps } from '../worker/planners.js';

// PLACEHOLDER: replaced by the Jira work.
export function createJiraPlanner(_deps: PlannerDeps): ActionPlanner {
  return { name: 'jira', objectKinds: ['push', 'merge_request'], plan: async () => [] };
}
