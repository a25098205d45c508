import type { GitLabUnavailable } from '../../lib/gitlab/api-client.js';
import { GitLabApiError, gitlabErrorDetail, gitlabInstanceRoot, GitLabHooksClient } from '../../lib/gitlab/hooks-api.js';
import { CliError, EXIT } from '../exit-codes.js';
import { isLoopbackUrl } from '../local-defaults.js';

// The client itself is lib/gitlab/hooks-api.ts, on the request core the worker uses too; what is
// here is the CLI's: GITLAB_URL checked, and failures said as one-line CLI errors with the fix.
export { GitLabApiError, gitlabErrorDetail, type GitLabProject } from '../../lib/gitlab/hooks-api.js';

/** GitLab's API base from GITLAB_URL, accepting `https://gitlab.example.com`, with or without `/api/v4` and a trailing slash. */
export function gitlabApiBase(url: string): string {
  const trimmed = gitlabInstanceRoot(url);
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new CliError(`GITLAB_URL "${url}" is not a URL`, EXIT.usage, 'use e.g. https://gitlab.com or https://gitlab.example.com');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new CliError(`GITLAB_URL "${url}" must be http(s)`, EXIT.usage, 'use e.g. https://gitlab.com');
  }
  // The access token goes in every request: plain http would show it to the network.
  if (parsed.protocol !== 'https:' && !isLoopbackUrl(parsed.href)) {
    throw new CliError(
      `GITLAB_URL "${url}" must use https (the access token travels with every request)`,
      EXIT.usage,
      'use the https:// address of your GitLab; plain http is accepted only for a GitLab on this machine (127.0.0.1, ::1, localhost)',
    );
  }
  return `${trimmed}/api/v4`;
}

/**
 * The GitLab hooks client from GITLAB_URL (checked by gitlabApiBase); a call that got no answer
 * (timeout, redirect, connection error) fails with a CliError naming the method and path.
 */
export class GitLabHooksApi extends GitLabHooksClient {
  constructor(options: { url: string; token: string; fetch: typeof fetch; timeoutMs?: number }) {
    const root = gitlabApiBase(options.url).replace(/\/api\/v4$/, '');
    super({ url: root, token: options.token, fetch: options.fetch, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
  }

  protected override unavailable(error: GitLabUnavailable, method: string, path: string): CliError {
    if (error.kind === 'timeout') {
      return new CliError(
        `GitLab at ${this.instance} did not answer ${method} ${path} within ${this.timeoutMs / 1000}s`,
        EXIT.failure,
        'check GITLAB_URL and your network, then try again',
      );
    }
    if (error.kind === 'redirect') {
      return new CliError(
        `GitLab at ${this.instance} answered ${method} ${path} with a redirect, which the CLI does not follow (it would carry the access token to another address)`,
        EXIT.usage,
        "set GITLAB_URL to the address GitLab's API answers on directly (its https:// external URL)",
      );
    }
    const fetchError = error.cause as { message?: string; cause?: { code?: string; message?: string } } | undefined;
    const cause = fetchError?.cause;
    return new CliError(
      `cannot reach GitLab at ${this.instance} (${cause?.code ?? cause?.message ?? fetchError?.message ?? error.reason})`,
      EXIT.failure,
      'check GITLAB_URL and your network',
    );
  }
}

/**
 * One line with the fix for GitLab's refusals: a bad token (401), too little access (403), an
 * unknown project (404), a refused hook (400/422).
 */
export function gitlabErrorToCliError(error: unknown, context: { instance: string; project?: string; action: string }): CliError {
  if (error instanceof CliError) return error;
  if (!(error instanceof GitLabApiError)) return new CliError(`${context.action}: ${error instanceof Error ? error.message : String(error)}`, EXIT.failure);
  const detail = error.detail ? ` (${error.detail})` : '';
  switch (error.status) {
    case 401:
      return new CliError(
        `GitLab at ${context.instance} rejected the access token${detail}`,
        EXIT.auth,
        'set GITLAB_TOKEN to a personal or project access token with the api scope that has not expired',
      );
    case 403:
      return new CliError(
        `GitLab refused to let the token ${context.action}${detail}`,
        EXIT.auth,
        'managing webhooks needs the Maintainer (or Owner) role on the project and a token with the api scope',
      );
    case 404:
      return new CliError(
        context.project ? `project ${context.project} not found on ${context.instance}${detail}` : `not found on ${context.instance}${detail}`,
        EXIT.notFound,
        "check --project (the full path, e.g. group/subgroup/app, or the numeric id) and that the token's user is a member",
      );
    default:
      return new CliError(
        `GitLab refused to ${context.action}: ${error.status}${detail}`,
        EXIT.failure,
        error.status === 422 || error.status === 400
          ? 'fix what GitLab names above and run the command again'
          : "try again; if it persists, check GitLab's status",
      );
  }
}

/**
 * GitLab runs a test hook synchronously and answers 422 (API::Hooks::TriggerTest) both when the
 * project has nothing to test ("Ensure the project has at least one commit.", "Testing not
 * available for this hook") and when the bridge did not answer 2xx; then the message is the
 * bridge's response body, or the connection error. Says which, with the fix for each.
 */
export function gitlabTestErrorToCliError(error: unknown, context: { instance: string; project: string; trigger: string }): CliError {
  const action = `send a test ${context.trigger} event`;
  if (!(error instanceof GitLabApiError) || error.status !== 422 || /^(Ensure |Testing not available)/.test(error.detail)) {
    return gitlabErrorToCliError(error, { instance: context.instance, project: context.project, action });
  }
  let answer = error.detail;
  try {
    answer = gitlabErrorDetail(JSON.parse(error.detail)) || error.detail;
  } catch {
    // not JSON: the bridge's or GitLab's words as they are
  }
  if (/unauthori[sz]ed/i.test(answer)) {
    return new CliError(
      `the bridge rejected GitLab's test ${context.trigger} event (${answer})`,
      EXIT.auth,
      "the token connect set (--webhook-token, GITLAB_WEBHOOK_TOKEN or the bridge's GitLab secret) is not one the bridge accepts: check it and run connect again",
    );
  }
  return new CliError(
    `GitLab's test ${context.trigger} event did not succeed (${answer})`,
    EXIT.failure,
    'GitLab shows the request and the answer under the hook\'s "Recent events" (Settings > Webhooks)',
  );
}
