import type { BridgeConfig } from '../config/schema.js';
import { createJiraPlanner } from '../jira/planner.js';
import { createNotifyPlanner } from '../notify/planner.js';
import type { Credentials } from '../secrets/credentials.js';
import type { ActionPlanner } from './action.js';
import type { BridgeLogger } from '../logger.js';

/** What the planners need from the outside world; built once per Lambda container. */
export interface PlannerDeps {
  config: BridgeConfig;
  credentials: Credentials;
  /**
   * Where notifiers print what they would send when no credentials are configured (local mode).
   * Absent in AWS: there a missing credential is a ConfigError recorded on the delivery.
   */
  print?: (text: string) => void;
  log?: BridgeLogger;
}

/** The event-to-actions table: every planner the worker consults, in order. */
export function createPlanners(deps: PlannerDeps): ActionPlanner[] {
  return [createNotifyPlanner(deps), createJiraPlanner(deps)];
}
