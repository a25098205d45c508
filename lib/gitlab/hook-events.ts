import { gitlabRequest, GitLabUnavailable, type GitLabRequestOptions } from './api-client.js';

/**
 * The project webhook calls recovery makes (GitLab REST v4, "Project webhooks" API), over the
 * bounded request core (./api-client.ts). The token needs the Maintainer role on the project and
 * the `api` scope (`read_api` lists hooks and events but cannot resend).
 */

/** A project hook as recovery reads it (GitLab sends more). */
export interface ProjectHook {
  id: number;
  url: string;
  name?: string | null;
  /** `executable`, `temporarily_disabled` or `disabled` (GitLab 15.7+). */
  alert_status?: string | null;
  disabled_until?: string | null;
  custom_webhook_template?: string | null;
}

/**
 * One entry of a hook's event log (`GET /projects/:id/hooks/:hook_id/events`), kept 7 days.
 * `response_status` is the HTTP status as a string or number, or `internal error` when the
 * request never got an answer (timeout, connection refused): GitLab counts that as a server
 * failure (`status=server_failure`).
 */
export interface HookEvent {
  id: number;
  url?: string;
  trigger?: string;
  /** Headers GitLab sent; `X-Gitlab-Token` shows as `[REDACTED]`. */
  request_headers?: Record<string, string> | null;
  /** The payload GitLab sent, parsed. */
  request_data?: unknown;
  response_status?: string | number | null;
  execution_duration?: number | null;
  created_at: string;
}

/** The two failure classes GitLab filters the event log by. */
export const HOOK_EVENT_FAILURE_STATUSES = ['server_failure', 'client_failure'] as const;
export type HookEventFailureStatus = (typeof HOOK_EVENT_FAILURE_STATUSES)[number];

/** GitLab's largest page. */
const PER_PAGE = 100;
/** 7 days of a busy hook at 100 a page; a stop against a paging loop. */
const MAX_PAGES = 200;

const json = (response: Response) => response.json() as Promise<unknown>;
const projectSegment = (project: number | string) => (typeof project === 'number' ? String(project) : encodeURIComponent(project));

/** `GET /projects/:id` — id and path. */
export async function getProject(options: GitLabRequestOptions, project: number | string): Promise<{ id: number; path_with_namespace: string }> {
  const body = (await gitlabRequest(options, { path: `projects/${projectSegment(project)}` }, json)) as { id?: unknown; path_with_namespace?: unknown } | null;
  if (!body || typeof body.id !== 'number' || typeof body.path_with_namespace !== 'string')
    throw new GitLabUnavailable('GitLab answered with an unexpected project');
  return { id: body.id, path_with_namespace: body.path_with_namespace };
}

/** Projects the token's user maintains (access level 40+), not archived, every page. */
export async function listMaintainedProjects(options: GitLabRequestOptions): Promise<{ id: number; path_with_namespace: string }[]> {
  const projects: { id: number; path_with_namespace: string }[] = [];
  for await (const page of pages(options, 'projects', { membership: 'true', min_access_level: '40', simple: 'true', archived: 'false' })) {
    for (const item of page) {
      if (isRecord(item) && typeof item.id === 'number' && typeof item.path_with_namespace === 'string')
        projects.push({ id: item.id, path_with_namespace: item.path_with_namespace });
    }
  }
  return projects;
}

/** `GET /projects/:id/hooks`, every page. */
export async function listProjectHooks(options: GitLabRequestOptions, project: number | string): Promise<ProjectHook[]> {
  const hooks: ProjectHook[] = [];
  for await (const page of pages(options, `projects/${projectSegment(project)}/hooks`, {})) {
    for (const item of page) if (isRecord(item) && typeof item.id === 'number' && typeof item.url === 'string') hooks.push(item as unknown as ProjectHook);
  }
  return hooks;
}

/**
 * The hook's events with one failure status, newest first as GitLab lists them, page by page.
 * Entries without an id or a time are skipped (nothing to resend or order them by).
 */
export async function* hookEventPages(
  options: GitLabRequestOptions,
  projectId: number,
  hookId: number,
  status: HookEventFailureStatus | undefined,
): AsyncGenerator<HookEvent[]> {
  for await (const page of pages(options, `projects/${projectId}/hooks/${hookId}/events`, status ? { status } : {})) {
    yield page.filter((item): item is HookEvent => isRecord(item) && typeof item.id === 'number' && typeof item.created_at === 'string');
  }
}

/**
 * `POST /projects/:id/hooks/:hook_id/events/:hook_log_id/resend`. GitLab allows 5 a minute per
 * hook and user and answers 429 beyond; not retried here (the caller paces itself).
 */
export async function resendHookEvent(options: GitLabRequestOptions, projectId: number, hookId: number, eventId: number): Promise<void> {
  await gitlabRequest(
    { ...options, retries: 0 },
    { method: 'POST', path: `projects/${projectId}/hooks/${hookId}/events/${eventId}/resend` },
    async (response) => {
      await response.body?.cancel().catch(() => undefined);
    },
  );
}

/**
 * `POST /projects/:id/hooks/:hook_id/test/push_events`: GitLab sends a test push and, when the
 * receiver answers 2xx, re-enables a disabled hook (GitLab docs, "Re-enable disabled webhooks").
 * GitLab answers 422 when the test delivery failed.
 */
export async function testHookPush(options: GitLabRequestOptions, projectId: number, hookId: number): Promise<void> {
  await gitlabRequest(
    { ...options, retries: 0, timeoutMs: 30_000 },
    { method: 'POST', path: `projects/${projectId}/hooks/${hookId}/test/push_events` },
    async (response) => {
      await response.body?.cancel().catch(() => undefined);
    },
  );
}

async function* pages(options: GitLabRequestOptions, path: string, query: Record<string, string>): AsyncGenerator<unknown[]> {
  let page = '1';
  for (let count = 0; count < MAX_PAGES; count++) {
    const { items, next } = await gitlabRequest(options, { path, query: { ...query, per_page: PER_PAGE, page } }, async (response) => ({
      items: await response.json(),
      next: response.headers.get('x-next-page')?.trim() ?? '',
    }));
    yield Array.isArray(items) ? (items as unknown[]) : [];
    if (!/^\d+$/.test(next)) return;
    page = next;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
