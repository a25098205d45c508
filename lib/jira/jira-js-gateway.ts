import { createCloudClient, isApiError, isAuthError, isNetworkError, isRateLimitError, isServerError, type CloudClient } from 'jira.js';
import { clientConfigSchema, type Client } from 'jira.js/core';
import { ENV } from '../env.js';
import { ConfigError, DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable } from '../errors.js';
import type { JiraCredentials } from '../secrets/credentials.js';
import { adfToWikiMarkup, type AdfDocument } from './adf.js';
import { BoundedJiraTransport, JIRA_TIMEOUT_CODE } from './bounded-transport.js';
import type { JiraGateway, JiraStatus, JiraTransition, NewWorklog } from './gateway.js';

export interface JiraJsGatewayOptions {
  /** Site URL, e.g. `https://acme.atlassian.net`. */
  host: string;
  credentials: JiraCredentials;
  /**
   * `cloud` (default): Jira Cloud REST v3, rich text as ADF. `datacenter`: Jira Data Center /
   * Server, which has no REST v3: the same calls go to REST v2 through jira.js's transport,
   * with rich text as wiki markup.
   */
  deployment?: 'cloud' | 'datacenter';
  /** Bound of each call (connect, headers and body); default JIRA_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * JiraGateway over jira.js 6. jira.js retries nothing by default and that is kept: a failed
 * call surfaces as a typed error and the queue redelivers the delivery (honouring
 * Retry-After), so a Lambda never sleeps through a rate limit.
 */
export class JiraJsGateway implements JiraGateway {
  private readonly transport: Client;
  private readonly client: CloudClient;
  private readonly deployment: 'cloud' | 'datacenter';

  constructor(options: JiraJsGatewayOptions) {
    const auth =
      'bearerToken' in options.credentials
        ? ({ type: 'bearer', token: options.credentials.bearerToken } as const)
        : ({ type: 'basic', email: options.credentials.email, apiToken: options.credentials.apiToken } as const);
    this.deployment = options.deployment ?? 'cloud';
    try {
      // The checks jira.js's createClient makes (a full email, a URL host), kept for their errors.
      clientConfigSchema.parse({ host: options.host, auth });
    } catch (error) {
      // jira.js validates the config with zod: a bad email or host. Never echo the token.
      throw new ConfigError(
        `Jira client configuration refused (${'bearerToken' in options.credentials ? 'bearer token' : `basic auth for ${options.credentials.email}`}, host ${options.host}): check jira.host and the Jira secret's email (it must be a full address)`,
        {
          cause: error,
        },
      );
    }
    const authorization = auth.type === 'bearer' ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.email}:${auth.apiToken}`, 'utf8').toString('base64')}`;
    this.transport = new BoundedJiraTransport(options.host, authorization, options.timeoutMs);
    this.client = createCloudClient(this.transport);
  }

  async getIssueStatus(issueKey: string): Promise<JiraStatus> {
    const issue = await this.call('read the status of', issueKey, () =>
      this.deployment === 'cloud'
        ? this.client.issues.getIssue({ issueIdOrKey: issueKey, fields: ['status'] })
        : this.transport.sendRequest<{ fields?: unknown }>({ url: `/rest/api/2/issue/${issueKey}`, method: 'GET', searchParams: { fields: 'status' } }),
    );
    const status = (issue.fields as { status?: { id?: string; name?: string; statusCategory?: { key?: string } } } | undefined)?.status;
    if (!status?.name) throw new DownstreamUnavailable('Jira', `Jira returned issue ${issueKey} without a status`);
    return { name: status.name, ...(status.id ? { id: status.id } : {}), ...(status.statusCategory?.key ? { categoryKey: status.statusCategory.key } : {}) };
  }

  async getTransitions(issueKey: string): Promise<JiraTransition[]> {
    const result = await this.call('list the transitions of', issueKey, () =>
      this.deployment === 'cloud'
        ? this.client.issues.getTransitions({ issueIdOrKey: issueKey })
        : this.transport.sendRequest<{
            transitions?: { id?: string; name?: string; to?: { id?: string; name?: string; statusCategory?: { key?: string } } }[];
          }>({
            url: `/rest/api/2/issue/${issueKey}/transitions`,
            method: 'GET',
          }),
    );
    const transitions: JiraTransition[] = [];
    for (const transition of result.transitions ?? []) {
      if (!transition.id || !transition.name) continue;
      const to = transition.to;
      transitions.push({
        id: transition.id,
        name: transition.name,
        ...(to?.name
          ? { to: { name: to.name, ...(to.id ? { id: to.id } : {}), ...(to.statusCategory?.key ? { categoryKey: to.statusCategory.key } : {}) } }
          : {}),
      });
    }
    return transitions;
  }

  async transitionIssue(issueKey: string, transitionId: string): Promise<void> {
    await this.call('transition', issueKey, () =>
      this.deployment === 'cloud'
        ? this.client.issues.doTransition({ issueIdOrKey: issueKey, transition: { id: transitionId } })
        : this.transport.sendRequest<void>({ url: `/rest/api/2/issue/${issueKey}/transitions`, method: 'POST', body: { transition: { id: transitionId } } }),
    );
  }

  async addComment(issueKey: string, body: AdfDocument): Promise<{ id: string }> {
    const comment = await this.call('comment on', issueKey, () =>
      this.deployment === 'cloud'
        ? this.client.issueComments.addComment({ issueIdOrKey: issueKey, body })
        : this.transport.sendRequest<{ id?: string }>({ url: `/rest/api/2/issue/${issueKey}/comment`, method: 'POST', body: { body: adfToWikiMarkup(body) } }),
    );
    return { id: comment.id ?? '' };
  }

  async addWorklog(issueKey: string, worklog: NewWorklog): Promise<{ id: string }> {
    const created = await this.call('log work on', issueKey, () =>
      this.deployment === 'cloud'
        ? this.client.issueWorklogs.addWorklog({
            issueIdOrKey: issueKey,
            timeSpent: worklog.timeSpent,
            ...(worklog.started ? { started: worklog.started } : {}),
            ...(worklog.comment ? { comment: worklog.comment } : {}),
          })
        : this.transport.sendRequest<{ id?: string }>({
            url: `/rest/api/2/issue/${issueKey}/worklog`,
            method: 'POST',
            body: {
              timeSpent: worklog.timeSpent,
              ...(worklog.started ? { started: worklog.started } : {}),
              ...(worklog.comment ? { comment: adfToWikiMarkup(worklog.comment) } : {}),
            },
          }),
    );
    return { id: created.id ?? '' };
  }

  private async call<T>(operation: string, issueKey: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toBridgeError(error, `${operation} ${issueKey}`);
    }
  }
}

/**
 * Maps jira.js's errors to the bridge's failure classes (lib/errors.ts), which decide retry.
 * Messages are built here rather than taken from jira.js, whose messages carry the request URL.
 */
export function toBridgeError(error: unknown, what: string): unknown {
  const cause = { cause: error };
  if (isRateLimitError(error)) {
    const retryAfterMs = error.retryAfterMs;
    return new DownstreamRateLimited(
      'Jira',
      retryAfterMs,
      `Jira rate limited the request to ${what}${retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)}s` : ''}`,
      cause,
    );
  }
  if (isNetworkError(error) && error.code === JIRA_TIMEOUT_CODE) {
    return new DownstreamUnavailable('Jira', `Jira did not answer in time (${error.message}) to ${what}`, undefined, cause);
  }
  if (isNetworkError(error)) {
    return new DownstreamUnavailable('Jira', `Jira could not be reached to ${what}${error.code ? ` (${error.code})` : ''}`, undefined, cause);
  }
  if (isServerError(error)) {
    return new DownstreamUnavailable('Jira', `Jira answered ${error.status} to the request to ${what}`, error.status, cause);
  }
  if (isAuthError(error)) {
    return new ConfigError(
      `Jira refused the credentials (401) to ${what}: check the Jira secret (${ENV.jiraSecretId}) or ${ENV.jiraEmail}/${ENV.jiraApiToken}`,
      cause,
    );
  }
  if (isApiError(error)) {
    return new DownstreamRejected('Jira', `Jira answered ${error.status} to the request to ${what}`, error.status, jiraErrorDetails(error.body), cause);
  }
  return error;
}

/** Jira's own words from an error body: `{ errorMessages: [...], errors: { field: message } }`. */
export function jiraErrorDetails(body: unknown): string[] {
  if (typeof body === 'string') return body.trim() ? [body.trim().slice(0, 300)] : [];
  if (typeof body !== 'object' || body === null) return [];
  const { errorMessages, errors } = body as { errorMessages?: unknown; errors?: unknown };
  const details: string[] = [];
  if (Array.isArray(errorMessages)) for (const message of errorMessages) if (typeof message === 'string' && message) details.push(message);
  if (typeof errors === 'object' && errors !== null) {
    for (const [field, message] of Object.entries(errors)) if (typeof message === 'string') details.push(`${field}: ${message}`);
  }
  return details;
}
