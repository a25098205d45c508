import { BridgeError } from '../../lib/errors.js';
import { CliError, EXIT } from '../exit-codes.js';
import { isLoopbackUrl } from '../local-defaults.js';
import { projectIdForPath, type GitLabHook } from './hook-plan.js';

/**
 * The handful of GitLab REST v4 calls the CLI makes (project, project hooks, test trigger),
 * with plain fetch: five endpoints do not justify a client library and its dependency tree
 * (see docs/cli.md). Authenticates with a personal/project access token in PRIVATE-TOKEN.
 */
export interface GitLabProject {
  id: number;
  path_with_namespace: string;
  web_url?: string;
}

export class GitLabApiError extends BridgeError {
  override readonly name = 'GitLabApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** GitLab's own words from the response body. */
    readonly detail: string,
  ) {
    super(`GitLab answered ${status} to ${method} ${path}${detail ? `: ${detail}` : ''}`);
  }
}

/** GitLab's error bodies: `{"message":"404 Project Not Found"}`, `{"error":"url is missing"}`, `{"message":{"url":["is blocked"]}}`. */
export function gitlabErrorDetail(body: unknown): string {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' ? body.slice(0, 300) : '';
  const record = body as { message?: unknown; error?: unknown };
  const value = record.message ?? record.error;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join('; ');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .map(([field, problems]) => `${field} ${Array.isArray(problems) ? problems.join(', ') : String(problems)}`)
      .join('; ');
  }
  return '';
}

/** GitLab's API base from GITLAB_URL, accepting `https://gitlab.example.com`, with or without `/api/v4` and a trailing slash. */
export function gitlabApiBase(url: string): string {
  const trimmed = url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v4$/, '');
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

/** GitLab pages lists (20 per page by default, 100 at most). */
const PER_PAGE = 100;
/** A safety stop for `GET /projects` on a big instance. */
const MAX_PAGES = 50;
/**
 * Bound of one GitLab API call, body included. The slowest is the test trigger: GitLab runs the
 * test hook while the call waits, and gives a webhook 10 s to answer (GitLab docs, "Webhook
 * timeout"), so 30 s leaves GitLab its own time and still ends a call to a stalled instance.
 */
export const GITLAB_REQUEST_TIMEOUT_MS = 30_000;

export class GitLabHooksApi {
  private readonly base: string;

  constructor(private readonly options: { url: string; token: string; fetch: typeof fetch; timeoutMs?: number }) {
    this.base = gitlabApiBase(options.url);
  }

  /** The instance's web address, for messages. */
  get instance(): string {
    return this.base.replace(/\/api\/v4$/, '');
  }

  getProject(project: string): Promise<GitLabProject> {
    return this.request<GitLabProject>('GET', `/projects/${projectIdForPath(project)}`);
  }

  listHooks(project: string): Promise<GitLabHook[]> {
    return this.paged<GitLabHook>(`/projects/${projectIdForPath(project)}/hooks`);
  }

  createHook(project: string, body: Record<string, unknown>): Promise<GitLabHook> {
    return this.request<GitLabHook>('POST', `/projects/${projectIdForPath(project)}/hooks`, body);
  }

  updateHook(project: string, hookId: number, body: Record<string, unknown>): Promise<GitLabHook> {
    return this.request<GitLabHook>('PUT', `/projects/${projectIdForPath(project)}/hooks/${hookId}`, body);
  }

  async deleteHook(project: string, hookId: number): Promise<void> {
    await this.request<unknown>('DELETE', `/projects/${projectIdForPath(project)}/hooks/${hookId}`);
  }

  async testHook(project: string, hookId: number, trigger: string): Promise<void> {
    await this.request<unknown>('POST', `/projects/${projectIdForPath(project)}/hooks/${hookId}/test/${trigger}`);
  }

  /** Projects where the token's user may manage webhooks (Maintainer, access level 40, or more). */
  listMaintainedProjects(): Promise<GitLabProject[]> {
    return this.paged<GitLabProject>('/projects?membership=true&min_access_level=40&simple=true&archived=false');
  }

  private async paged<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let page: string | null = '1';
    for (let count = 0; page && count < MAX_PAGES; count++) {
      const separator = path.includes('?') ? '&' : '?';
      const { body, headers } = await this.send('GET', `${path}${separator}per_page=${PER_PAGE}&page=${page}`);
      if (Array.isArray(body)) out.push(...(body as T[]));
      page = headers.get('x-next-page') || null;
    }
    return out;
  }

  private async request<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    return (await this.send(method, path, body)).body as T;
  }

  private async send(method: string, path: string, body?: Record<string, unknown>): Promise<{ body: unknown; headers: Headers }> {
    const timeoutMs = this.options.timeoutMs ?? GITLAB_REQUEST_TIMEOUT_MS;
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(`${this.base}${path}`, {
        method,
        headers: {
          'PRIVATE-TOKEN': this.options.token,
          Accept: 'application/json',
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        // fetch would follow a redirect and send PRIVATE-TOKEN (and a hook's token, re-POSTed on
        // a 307/308) to wherever it points, another origin included: never follow one.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.transportError(error, method, path, timeoutMs);
    }
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) throw new GitLabApiError(response.status, method, path.split('?')[0]!, gitlabErrorDetail(parsed));
    return { body: parsed, headers: response.headers };
  }

  private transportError(error: unknown, method: string, path: string, timeoutMs: number): CliError {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new CliError(
        `GitLab at ${this.instance} did not answer ${method} ${path.split('?')[0]!} within ${timeoutMs / 1000}s`,
        EXIT.failure,
        'check GITLAB_URL and your network, then try again',
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (/redirect/i.test(cause?.message ?? '')) {
      return new CliError(
        `GitLab at ${this.instance} answered ${method} ${path.split('?')[0]!} with a redirect, which the CLI does not follow (it would carry the access token to another address)`,
        EXIT.usage,
        "set GITLAB_URL to the address GitLab's API answers on directly (its https:// external URL)",
      );
    }
    return new CliError(
      `cannot reach GitLab at ${this.instance} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
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
