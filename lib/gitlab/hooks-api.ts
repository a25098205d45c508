import { BridgeError } from '../errors.js';
import { gitlabRequest, GitLabUnavailable, type GitLabRequestOptions } from './api-client.js';

/**
 * The handful of GitLab REST v4 calls that manage a project's webhooks (project, project hooks,
 * test trigger), over the one request core (`gitlabRequest`): five endpoints do not justify a
 * client library and its dependency tree (see docs/design.md). The CLI's `gitlab` commands use it.
 */
export interface GitLabProject {
  id: number;
  path_with_namespace: string;
  web_url?: string;
}

/** The parts of a GitLab project hook the CLI reads (GitLab sends more). */
export interface GitLabHook {
  id: number;
  url: string;
  name?: string | null;
  alert_status?: string | null;
  disabled_until?: string | null;
  push_events_branch_filter?: string | null;
  branch_filter_strategy?: string | null;
  enable_ssl_verification?: boolean;
  /** GitLab 16.10+: the body GitLab sends instead of the event payload when set. */
  custom_webhook_template?: string | null;
  created_at?: string;
  [flag: string]: unknown;
}

/** GitLab answered, and refused: its status and its own words, for a message that names the fix. */
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

/** The instance's root from a GitLab address given with or without `/api/v4` and trailing slashes. */
export function gitlabInstanceRoot(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v4$/, '');
}

/** The project id in a GitLab API path: numeric ids as is, paths URL-encoded (`group%2Fapp`). */
export function projectIdForPath(project: string): string {
  const trimmed = project.trim().replace(/^\/+|\/+$/g, '');
  return /^\d+$/.test(trimmed) ? trimmed : encodeURIComponent(trimmed);
}

/** GitLab pages lists (20 per page by default, 100 at most). */
const PER_PAGE = 100;
/** A safety stop for `GET /projects` on a big instance. */
const MAX_PAGES = 50;
/**
 * Bound of one call, body included. The slowest is the test trigger: GitLab runs the test hook
 * while the call waits, and gives a webhook 10 s to answer (GitLab docs, "Webhook timeout"), so
 * 30 s leaves GitLab its own time and still ends a call to a stalled instance.
 */
export const GITLAB_HOOKS_TIMEOUT_MS = 30_000;

type Query = Record<string, string | number | undefined>;

/**
 * Project webhooks over `gitlabRequest`: GETs are retried on 429/5xx/connection errors, the
 * writes (create, update, delete, test) only on 429, since GitLab may have carried out a write
 * whose answer was lost. A refusal is a GitLabApiError with GitLab's words; no answer is a
 * GitLabUnavailable (its `kind` says timeout, redirect, unreachable), which a subclass may
 * reword through `unavailable`.
 */
export class GitLabHooksClient {
  /** The instance's web address, for messages. */
  readonly instance: string;
  private readonly request: GitLabRequestOptions;

  constructor(options: GitLabRequestOptions) {
    this.instance = gitlabInstanceRoot(options.url);
    this.request = { ...options, url: this.instance, timeoutMs: options.timeoutMs ?? GITLAB_HOOKS_TIMEOUT_MS };
  }

  /** The bound of one call, in milliseconds. */
  get timeoutMs(): number {
    return this.request.timeoutMs!;
  }

  getProject(project: string): Promise<GitLabProject> {
    return this.call<GitLabProject>('GET', `/projects/${projectIdForPath(project)}`);
  }

  listHooks(project: string): Promise<GitLabHook[]> {
    return this.paged<GitLabHook>(`/projects/${projectIdForPath(project)}/hooks`);
  }

  createHook(project: string, body: Record<string, unknown>): Promise<GitLabHook> {
    return this.call<GitLabHook>('POST', `/projects/${projectIdForPath(project)}/hooks`, { body });
  }

  updateHook(project: string, hookId: number, body: Record<string, unknown>): Promise<GitLabHook> {
    return this.call<GitLabHook>('PUT', `/projects/${projectIdForPath(project)}/hooks/${hookId}`, { body });
  }

  async deleteHook(project: string, hookId: number): Promise<void> {
    await this.call<unknown>('DELETE', `/projects/${projectIdForPath(project)}/hooks/${hookId}`);
  }

  async testHook(project: string, hookId: number, trigger: string): Promise<void> {
    await this.call<unknown>('POST', `/projects/${projectIdForPath(project)}/hooks/${hookId}/test/${trigger}`);
  }

  /** Projects where the token's user may manage webhooks (Maintainer, access level 40, or more). */
  listMaintainedProjects(): Promise<GitLabProject[]> {
    return this.paged<GitLabProject>('/projects', { membership: 'true', min_access_level: 40, simple: 'true', archived: 'false' });
  }

  /** How a call that got no answer fails; the CLI words it with the method and path. */
  protected unavailable(error: GitLabUnavailable, _method: string, _path: string): Error {
    return error;
  }

  /** Every page, following GitLab's `x-next-page` header, up to MAX_PAGES. */
  private async paged<T>(path: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let page: string | null = '1';
    for (let count = 0; page && count < MAX_PAGES; count++) {
      const { body, headers } = await this.send('GET', path, { query: { ...query, per_page: PER_PAGE, page } });
      if (Array.isArray(body)) out.push(...(body as T[]));
      page = headers.get('x-next-page') || null;
    }
    return out;
  }

  private async call<T>(method: string, path: string, options: { body?: Record<string, unknown> } = {}): Promise<T> {
    return (await this.send(method, path, options)).body as T;
  }

  private async send(method: string, path: string, options: { query?: Query; body?: Record<string, unknown> }): Promise<{ body: unknown; headers: Headers }> {
    let answer: { status: number; ok: boolean; headers: Headers; text: string };
    try {
      answer = await gitlabRequest(
        this.request,
        { method, path, ...(options.query ? { query: options.query } : {}), ...(options.body ? { body: options.body } : {}), readErrors: true },
        async (response) => ({ status: response.status, ok: response.ok, headers: response.headers, text: await response.text() }),
      );
    } catch (error) {
      throw error instanceof GitLabUnavailable ? this.unavailable(error, method, path) : error;
    }
    let parsed: unknown = answer.text;
    if (answer.text) {
      try {
        parsed = JSON.parse(answer.text);
      } catch {
        parsed = answer.text;
      }
    }
    if (!answer.ok) throw new GitLabApiError(answer.status, method, path, gitlabErrorDetail(parsed));
    return { body: parsed, headers: answer.headers };
  }
}
