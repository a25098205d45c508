import type { AdfDocument } from './adf.js';

/** An issue's workflow status. `categoryKey` is Jira's status category: `new`, `indeterminate`, `done`. */
export interface JiraStatus {
  id?: string;
  name: string;
  categoryKey?: string;
}

/** A transition available from the issue's current status. */
export interface JiraTransition {
  id: string;
  name: string;
  to?: JiraStatus;
}

export interface NewWorklog {
  /** Jira duration text, e.g. `1w 2d 4h 30m` (decimals allowed: `1.5h`). */
  timeSpent: string;
  /** When the work started, in Jira's format `2024-01-17T12:34:00.000+0000`. */
  started?: string;
  comment?: AdfDocument;
}

/**
 * What the bridge asks of Jira. One implementation talks to Jira through jira.js
 * (./jira-js-gateway.ts); the policy code (./transition.ts, ./planner.ts) only sees this.
 *
 * Implementations throw the typed errors of lib/errors.ts: DownstreamRateLimited (429, with
 * Retry-After), DownstreamUnavailable (5xx, network), DownstreamRejected (400/403/404, with
 * Jira's errorMessages), ConfigError (401: the credentials are wrong).
 */
export interface JiraGateway {
  getIssueStatus(issueKey: string): Promise<JiraStatus>;
  getTransitions(issueKey: string): Promise<JiraTransition[]>;
  transitionIssue(issueKey: string, transitionId: string): Promise<void>;
  addComment(issueKey: string, body: AdfDocument): Promise<{ id: string }>;
  addWorklog(issueKey: string, worklog: NewWorklog): Promise<{ id: string }>;
}
