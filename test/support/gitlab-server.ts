import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for GitLab's REST API v4, enough of it for the CLI's `gitlab` commands:
 * projects, project hooks (list/create/update/delete) and hook test triggers, with GitLab's
 * answers for a bad token (401), too little access (403), an unknown project or hook (404),
 * invalid input (400/422). A test trigger really POSTs a push event (or, with a custom webhook
 * template, its rendering) to the hook's URL with the hook's token and, like GitLab, answers 422
 * with the receiver's response when it was not 2xx.
 * Each hook has an event log (paged, filtered by status) and a resend endpoint limited to 5 a
 * minute per hook and token (429 beyond) that really sends the logged request again.
 * Every request is recorded so tests assert what crossed the wire.
 */

export interface FakeHook {
  id: number;
  url: string;
  name: string | null;
  description: string | null;
  /** Never returned by GitLab's API; kept to send it with test events. */
  token: string | null;
  signing_token: string | null;
  push_events_branch_filter: string | null;
  branch_filter_strategy: string;
  enable_ssl_verification: boolean;
  alert_status: 'executable' | 'temporarily_disabled' | 'disabled';
  disabled_until: string | null;
  created_at: string;
  /**
   * GitLab 16.10+: when set (not empty), a test event sends this template rendered against the
   * event (`{{object_kind}}`, `{{project.path_with_namespace}}`) instead of the payload.
   */
  custom_webhook_template: string | null;
  flags: Record<string, boolean>;
}

export interface FakeProject {
  id: number;
  path_with_namespace: string;
  hooks: FakeHook[];
  /** GitLab refuses a push test (422) on a project without commits. */
  hasCommits: boolean;
  /** GitLab refuses a pipeline test (422) on a project without pipelines. */
  hasPipelines: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as requested, e.g. `/api/v4/projects/group%2Fapp/hooks?per_page=100&page=1`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface TestDelivery {
  hookUrl: string;
  trigger: string;
  status: number;
}

const EVENT_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'pipeline_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'job_events',
  'deployment_events',
  'releases_events',
  'wiki_page_events',
  'emoji_events',
  'feature_flag_events',
  'resource_access_token_events',
] as const;

const TEST_TRIGGERS: ReadonlySet<string> = new Set(EVENT_FLAGS.filter((flag) => flag !== 'deployment_events' && flag !== 'feature_flag_events'));

/**
 * One entry of a hook's event log (`GET /projects/:id/hooks/:hook_id/events`), as GitLab's
 * "Project webhooks API" page shows it. `response_status` is a status code as a string, or
 * `internal error` when the request got no answer (timeout, connection refused).
 */
export interface FakeHookEvent {
  id: number;
  hookId: number;
  url: string;
  trigger: string;
  request_headers: Record<string, string>;
  request_data: unknown;
  response_status: string;
  execution_duration: number;
  created_at: string;
}

/** GitLab's `web_hook_event_resend` limit: 5 resends a minute per hook and user. */
export const FAKE_RESEND_LIMIT_PER_MINUTE = 5;

export interface FakeGitLabOptions {
  /** The stand-in's clock (the resend limit's minute), default Date.now. */
  now?: () => number;
  /** Tokens with the Maintainer role on every project. */
  maintainerTokens?: string[];
  /** Tokens with only the Developer role: hook endpoints answer 403. */
  developerTokens?: string[];
  /** Page size cap, to make pagination observable in tests (GitLab's is 100). */
  maxPerPage?: number;
  /** Scopes `GET /personal_access_tokens/self` reports per token (default `read_api`). */
  tokenScopes?: Record<string, string[]>;
}

/**
 * One scripted answer of the job trace endpoint, served before the trace itself: an HTTP error
 * (with headers, e.g. `Retry-After`), or `stall` (headers sent, the body never finishes).
 */
export type TraceAnswer = { status: number; headers?: Record<string, string> } | 'stall';

/**
 * One scripted answer to any endpoint, served before the real one: an HTTP error (GitLab's
 * `{"message": "<status>"}` body, with headers such as `Retry-After`), or `reset` (the connection
 * closed without an answer, as a proxy dropping it would).
 */
export type ScriptedAnswer = { status: number; headers?: Record<string, string> } | 'reset';

export interface FakeUser {
  id: number;
  username: string;
  name?: string;
  public_email?: string | null;
}

export class FakeGitLab {
  readonly requests: RecordedRequest[] = [];
  /** Job logs by `<project id>/<job id>`, served as text/plain. */
  readonly traces = new Map<string, string | Buffer>();
  /** Answers served, in order, before a job's trace (see TraceAnswer). */
  readonly traceScripts = new Map<string, TraceAnswer[]>();
  /** Served to every trace request while set (after the job's own script). */
  traceAnswer: TraceAnswer | undefined;
  readonly users = new Map<number, FakeUser>();
  /** How long `GET /users/:id` takes to answer (to see lookups that overlap). */
  userDelayMs = 0;
  /** The most `GET /users/:id` requests that were open at once. */
  maxUsersInFlight = 0;
  private usersInFlight = 0;
  /** Bytes of trace bodies written, per job. */
  readonly traceBytesSent = new Map<string, number>();
  readonly testDeliveries: TestDelivery[] = [];
  readonly projects: FakeProject[] = [];
  /** Answers served, in order, to requests matching a method and path (see script). */
  private readonly scripts: { method: string; path: RegExp; answers: ScriptedAnswer[] }[] = [];
  /** Every hook's event log, oldest first (served newest first, as GitLab does). */
  readonly hookEvents: FakeHookEvent[] = [];
  /** Resends GitLab accepted: hook event id and the receiver's status (or `internal error`). */
  readonly resends: { hookId: number; eventId: number; responseStatus: string }[] = [];
  /** Start times of resends, per `<hook id>:<token>` (the 5/min limit). */
  private readonly resendTimes = new Map<string, number[]>();
  private nextHookEventId = 1000;
  private nextHookId = 1;
  private nextProjectId = 100;
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: FakeGitLabOptions = {}) {}

  addProject(path: string, options: { hasCommits?: boolean; hasPipelines?: boolean } = {}): FakeProject {
    const project: FakeProject = {
      id: this.nextProjectId++,
      path_with_namespace: path,
      hooks: [],
      hasCommits: options.hasCommits ?? true,
      hasPipelines: options.hasPipelines ?? false,
    };
    this.projects.push(project);
    return project;
  }

  /** Adds a hook directly, as if created in GitLab's settings page. */
  addHook(project: FakeProject, hook: Partial<Omit<FakeHook, 'id' | 'flags'>> & { url: string; flags?: Record<string, boolean> }): FakeHook {
    const created: FakeHook = {
      id: this.nextHookId++,
      name: null,
      description: null,
      token: null,
      signing_token: null,
      push_events_branch_filter: null,
      branch_filter_strategy: 'wildcard',
      enable_ssl_verification: true,
      alert_status: 'executable',
      disabled_until: null,
      created_at: new Date().toISOString(),
      custom_webhook_template: null,
      ...hook,
      flags: { ...Object.fromEntries(EVENT_FLAGS.map((flag) => [flag, flag === 'push_events'])), ...(hook.flags ?? {}) },
    };
    project.hooks.push(created);
    return created;
  }

  /**
   * Logs a delivery attempt in the hook's event log, as GitLab does after each one. Headers are
   * logged as sent, `X-Gitlab-Token` redacted.
   */
  logHookEvent(
    hook: FakeHook,
    entry: { headers: Record<string, string>; data: unknown; responseStatus: string | number; createdAt?: string; trigger?: string },
  ): FakeHookEvent {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.headers)) headers[canonicalHeader(name)] = name.toLowerCase() === 'x-gitlab-token' ? '[REDACTED]' : value;
    const event: FakeHookEvent = {
      id: this.nextHookEventId++,
      hookId: hook.id,
      url: hook.url,
      trigger: entry.trigger ?? 'push_hooks',
      request_headers: headers,
      request_data: entry.data,
      response_status: String(entry.responseStatus),
      execution_duration: 0.01,
      created_at: entry.createdAt ?? new Date(this.clock()).toISOString(),
    };
    this.hookEvents.push(event);
    return event;
  }

  private clock(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The log GitLab serves for a job (`GET /projects/:id/jobs/:job_id/trace`). */
  setTrace(projectId: number, jobId: number, trace: string | Buffer, script: TraceAnswer[] = []): void {
    this.traces.set(`${projectId}/${jobId}`, trace);
    this.traceScripts.set(`${projectId}/${jobId}`, [...script]);
  }

  /** Serves `answers`, in order, to the next requests of `method` to a path matching `path` (no query), instead of handling them. */
  script(method: string, path: RegExp, answers: ScriptedAnswer[]): void {
    this.scripts.push({ method, path, answers: [...answers] });
  }

  /** Requests to a path, matched without the query string. */
  requestsTo(method: string, pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && pathPattern.test(request.url.split('?')[0]!));
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(JSON.stringify({ message: `fake GitLab failed: ${(error as Error).message}` }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections?.();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private findProject(id: string): FakeProject | undefined {
    const decoded = decodeURIComponent(id);
    return this.projects.find((project) => String(project.id) === decoded || project.path_with_namespace === decoded);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const method = request.method ?? 'GET';
    const rawUrl = request.url ?? '/';
    this.requests.push({ method, url: rawUrl, headers: request.headers, body });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(payload === undefined ? '' : JSON.stringify(payload));
    };

    const scripted = this.scripts.find((script) => script.method === method && script.path.test(rawUrl.split('?')[0]!) && script.answers.length > 0);
    const answer = scripted?.answers.shift();
    if (answer === 'reset') return void response.socket?.destroy();
    if (answer) return send(answer.status, { message: `${answer.status}` }, answer.headers ?? {});

    const url = new URL(rawUrl, 'http://gitlab.local');
    // Match on the raw path: project ids are URL-encoded paths (group%2Fapp) and must stay one segment.
    const path = rawUrl.split('?')[0]!;
    if (!path.startsWith('/api/v4/')) return send(404, { error: '404 Not Found' });
    const token = request.headers['private-token'];
    const maintainer = typeof token === 'string' && (this.options.maintainerTokens ?? []).includes(token);
    const developer = typeof token === 'string' && (this.options.developerTokens ?? []).includes(token);
    if (!maintainer && !developer) return send(401, { message: '401 Unauthorized' });

    const segments = path.slice('/api/v4/'.length).split('/');
    if (segments[0] === 'users' && segments.length === 2 && method === 'GET') {
      const user = this.users.get(Number(segments[1]));
      this.usersInFlight += 1;
      this.maxUsersInFlight = Math.max(this.maxUsersInFlight, this.usersInFlight);
      if (this.userDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.userDelayMs));
      this.usersInFlight -= 1;
      return user ? send(200, { public_email: null, ...user }) : send(404, { message: '404 User Not Found' });
    }
    if (segments[0] === 'projects' && segments.length === 5 && segments[2] === 'jobs' && segments[4] === 'trace' && method === 'GET') {
      return this.serveTrace(`${decodeURIComponent(segments[1]!)}/${segments[3]}`, send, response);
    }
    if (segments[0] === 'personal_access_tokens' && segments[1] === 'self' && segments.length === 2 && method === 'GET') {
      return send(200, { id: 1, name: 'bridge', revoked: false, active: true, scopes: this.options.tokenScopes?.[token as string] ?? ['read_api'] });
    }
    // Retry of a pipeline's failed jobs: GitLab answers 201 with the pipeline (same id), now pending.
    if (segments[0] === 'projects' && segments.length === 5 && segments[2] === 'pipelines' && segments[4] === 'retry' && method === 'POST') {
      const scopes = this.options.tokenScopes?.[token as string] ?? ['read_api'];
      if (!scopes.includes('api')) return send(403, { error: 'insufficient_scope' });
      return send(201, { id: Number(segments[3]), project_id: Number(decodeURIComponent(segments[1]!)), status: 'pending' });
    }
    if (segments[0] !== 'projects') return send(404, { error: '404 Not Found' });

    if (segments.length === 1 && method === 'GET') {
      const visible = maintainer ? this.projects : [];
      return this.paged(
        send,
        url,
        visible.map((project) => ({
          id: project.id,
          path_with_namespace: project.path_with_namespace,
          web_url: `https://gitlab.example.com/${project.path_with_namespace}`,
        })),
      );
    }
    const project = this.findProject(segments[1] ?? '');
    if (!project) return send(404, { message: '404 Project Not Found' });
    if (segments.length === 2 && method === 'GET') {
      return send(200, {
        id: project.id,
        path_with_namespace: project.path_with_namespace,
        web_url: `https://gitlab.example.com/${project.path_with_namespace}`,
      });
    }
    if (segments[2] !== 'hooks') return send(404, { error: '404 Not Found' });
    if (!maintainer) return send(403, { message: '403 Forbidden' });

    if (segments.length === 3 && method === 'GET') return this.paged(send, url, project.hooks.map(view));
    if (segments.length === 3 && method === 'POST') {
      const input = (body ?? {}) as Record<string, unknown>;
      const invalid = validateHookInput(input, true);
      if (invalid) return send(invalid.status, invalid.body);
      const hook = this.addHook(project, { url: String(input.url) });
      applyHookInput(hook, input);
      return send(201, view(hook));
    }
    const hook = project.hooks.find((candidate) => String(candidate.id) === segments[3]);
    if (!hook) return send(404, { message: '404 Not found' });
    if (segments.length === 4 && method === 'GET') return send(200, view(hook));
    if (segments.length === 4 && method === 'PUT') {
      const input = (body ?? {}) as Record<string, unknown>;
      const invalid = validateHookInput(input, false);
      if (invalid) return send(invalid.status, invalid.body);
      applyHookInput(hook, input);
      return send(200, view(hook));
    }
    if (segments.length === 4 && method === 'DELETE') {
      project.hooks.splice(project.hooks.indexOf(hook), 1);
      return send(204);
    }
    if (segments.length === 6 && segments[4] === 'test' && method === 'POST') {
      const trigger = segments[5]!;
      if (!TEST_TRIGGERS.has(trigger)) return send(400, { error: 'trigger does not have a valid value' });
      if (trigger === 'push_events' && !project.hasCommits) return send(422, { message: 'Ensure the project has at least one commit.' });
      if (trigger === 'pipeline_events' && !project.hasPipelines) return send(422, { message: 'Ensure the project has CI pipelines.' });
      // GitLab runs a test hook synchronously (API::Hooks::TriggerTest): 201 only when the receiver
      // answered 2xx, otherwise 422 with the receiver's response body (or the connection error) as message.
      let answer: { status: number; body: string };
      try {
        answer = await this.deliverTest(project, hook, trigger);
      } catch {
        return send(422, { message: `Failed to open TCP connection to ${new URL(hook.url).host} (Connection refused)` });
      }
      this.testDeliveries.push({ hookUrl: hook.url, trigger, status: answer.status });
      if (answer.status < 200 || answer.status >= 300) return send(422, { message: answer.body });
      // A successful test re-enables a disabled hook (GitLab docs, "Re-enable disabled webhooks").
      hook.alert_status = 'executable';
      hook.disabled_until = null;
      return send(201, { message: '201 Created' });
    }
    if (segments.length === 5 && segments[4] === 'events' && method === 'GET') {
      const status = url.searchParams.get('status');
      const events = this.hookEvents
        .filter((event) => event.hookId === hook.id && matchesStatus(event.response_status, status))
        .reverse()
        .map(({ hookId: _hookId, ...event }) => event);
      return this.paged(send, url, events);
    }
    if (segments.length === 7 && segments[4] === 'events' && segments[6] === 'resend' && method === 'POST') {
      const logged = this.hookEvents.find((event) => event.hookId === hook.id && String(event.id) === segments[5]);
      if (!logged) return send(404, { message: '404 Not found' });
      const limitKey = `${hook.id}:${String(token)}`;
      const now = this.clock();
      const recent = (this.resendTimes.get(limitKey) ?? []).filter((at) => now - at < 60_000);
      if (recent.length >= FAKE_RESEND_LIMIT_PER_MINUTE) {
        this.resendTimes.set(limitKey, recent);
        return send(429, { message: 'This endpoint has been requested too many times. Try again later.' }, { 'Retry-After': '60' });
      }
      this.resendTimes.set(limitKey, [...recent, now]);
      // GitLab sends the logged request again (same headers, Idempotency-Key included) and logs the attempt.
      const headers: Record<string, string> = { ...logged.request_headers, ...(hook.token ? { 'X-Gitlab-Token': hook.token } : {}) };
      let responseStatus: string;
      try {
        const answer = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(logged.request_data) });
        await answer.text();
        responseStatus = String(answer.status);
      } catch {
        responseStatus = 'internal error';
      }
      this.logHookEvent(hook, { headers, data: logged.request_data, responseStatus, trigger: logged.trigger });
      this.resends.push({ hookId: hook.id, eventId: logged.id, responseStatus });
      return send(201, { response_status: responseStatus });
    }
    return send(405, { error: '405 Method Not Allowed' });
  }

  private serveTrace(job: string, send: (status: number, payload?: unknown, headers?: Record<string, string>) => void, response: ServerResponse): void {
    const answer = this.traceScripts.get(job)?.shift() ?? this.traceAnswer;
    if (answer === 'stall') {
      // Headers and a first line, then nothing: the client's timeout must cover the body.
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.write('Running with gitlab-runner 18.6.0\n');
      return;
    }
    if (answer) return send(answer.status, { message: `${answer.status}` }, answer.headers ?? {});
    const trace = this.traces.get(job);
    if (trace === undefined) return send(404, { message: '404 Not found' });
    const bytes = Buffer.isBuffer(trace) ? trace : Buffer.from(trace, 'utf8');
    this.traceBytesSent.set(job, (this.traceBytesSent.get(job) ?? 0) + bytes.byteLength);
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(bytes.byteLength) });
    response.end(bytes);
  }

  private paged(send: (status: number, payload?: unknown, headers?: Record<string, string>) => void, url: URL, items: unknown[]): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '20'), this.options.maxPerPage ?? 100);
    const page = Number(url.searchParams.get('page') ?? '1');
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const next = page * perPage < items.length ? String(page + 1) : '';
    send(200, slice, { 'x-next-page': next, 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(items.length) });
  }

  /** GitLab's test push: the project's latest commit, sent like a real delivery. */
  private async deliverTest(project: FakeProject, hook: FakeHook, trigger: string): Promise<{ status: number; body: string }> {
    const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e';
    const payload = {
      object_kind: 'push',
      event_name: 'push',
      before: '0000000000000000000000000000000000000000',
      after: sha,
      ref: 'refs/heads/main',
      checkout_sha: sha,
      user_id: 1,
      user_name: 'Administrator',
      user_username: 'root',
      project_id: project.id,
      project: {
        id: project.id,
        name: project.path_with_namespace.split('/').at(-1),
        web_url: `https://gitlab.example.com/${project.path_with_namespace}`,
        path_with_namespace: project.path_with_namespace,
        default_branch: 'main',
      },
      commits: [
        {
          id: sha,
          message: 'Initial commit',
          title: 'Initial commit',
          timestamp: '2026-01-16T10:00:00+00:00',
          url: `https://gitlab.example.com/${project.path_with_namespace}/-/commit/${sha}`,
          author: { name: 'Administrator', email: 'admin@example.com' },
        },
      ],
      total_commits_count: 1,
      repository: { name: project.path_with_namespace },
    };
    const idempotencyKey = randomUUID();
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'GitLab/18.6.0',
        'X-Gitlab-Event': trigger === 'push_events' ? 'Push Hook' : 'Test Hook',
        'X-Gitlab-Instance': 'https://gitlab.example.com',
        'X-Gitlab-Webhook-UUID': randomUUID(),
        'X-Gitlab-Event-UUID': randomUUID(),
        'Idempotency-Key': idempotencyKey,
        ...(hook.token ? { 'X-Gitlab-Token': hook.token } : {}),
      },
      body: hook.custom_webhook_template ? renderTemplate(hook.custom_webhook_template, payload) : JSON.stringify(payload),
    });
    return { status: response.status, body: await response.text() };
  }
}

/**
 * GitLab's custom webhook template, enough of it for tests: `{{a.b}}` becomes the value at that
 * path, JSON-escaped without quotes, so `{"kind":"{{object_kind}}"}` renders `{"kind":"push"}`.
 * GitLab parses the result as JSON and sends it re-serialised (WebHookService), as done here.
 */
function renderTemplate(template: string, payload: Record<string, unknown>): string {
  const rendered = template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_match, path: string) => {
    const value = path
      .split('.')
      .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), payload);
    const json = JSON.stringify(value ?? '');
    return typeof value === 'string' || value === undefined ? json.slice(1, -1) : json;
  });
  return JSON.stringify(JSON.parse(rendered));
}

/** GitLab's event log filter: `successful`, `client_failure`, `server_failure` (5xx and `internal error`), or a status code. */
function matchesStatus(responseStatus: string, filter: string | null): boolean {
  if (filter === null || filter === '') return true;
  const code = /^\d+$/.test(responseStatus) ? Number(responseStatus) : null;
  if (filter === 'successful') return code !== null && code >= 200 && code < 300;
  if (filter === 'client_failure') return code !== null && code >= 400 && code < 500;
  if (filter === 'server_failure') return code === null || code >= 500;
  return responseStatus === filter;
}

/** `idempotency-key` -> `Idempotency-Key`, as GitLab's log shows header names. */
function canonicalHeader(name: string): string {
  return name
    .split('-')
    .map((part) => (part.length > 0 ? part[0]!.toUpperCase() + part.slice(1).toLowerCase() : part))
    .join('-');
}

/** A hook as GitLab's API shows it: no token, flags at the top level. */
function view(hook: FakeHook): Record<string, unknown> {
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    push_events_branch_filter: hook.push_events_branch_filter,
    branch_filter_strategy: hook.branch_filter_strategy,
    enable_ssl_verification: hook.enable_ssl_verification,
    alert_status: hook.alert_status,
    disabled_until: hook.disabled_until,
    created_at: hook.created_at,
    custom_webhook_template: hook.custom_webhook_template,
    ...hook.flags,
  };
}

function validateHookInput(input: Record<string, unknown>, creating: boolean): { status: number; body: unknown } | undefined {
  if (creating && (typeof input.url !== 'string' || input.url === '')) return { status: 400, body: { error: 'url is missing' } };
  if (input.url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(input.url));
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      return { status: 422, body: { message: { url: ['is blocked: Only allowed schemes are http, https'] } } };
    }
  }
  if (input.branch_filter_strategy !== undefined && !['wildcard', 'regex', 'all_branches'].includes(String(input.branch_filter_strategy))) {
    return { status: 400, body: { error: 'branch_filter_strategy does not have a valid value' } };
  }
  return undefined;
}

function applyHookInput(hook: FakeHook, input: Record<string, unknown>): void {
  if (typeof input.url === 'string') hook.url = input.url;
  if (typeof input.name === 'string') hook.name = input.name;
  if (typeof input.description === 'string') hook.description = input.description;
  if (typeof input.token === 'string') hook.token = input.token;
  if (typeof input.signing_token === 'string') hook.signing_token = input.signing_token;
  if (typeof input.push_events_branch_filter === 'string') hook.push_events_branch_filter = input.push_events_branch_filter;
  if (typeof input.branch_filter_strategy === 'string') hook.branch_filter_strategy = input.branch_filter_strategy;
  if (typeof input.enable_ssl_verification === 'boolean') hook.enable_ssl_verification = input.enable_ssl_verification;
  if (typeof input.custom_webhook_template === 'string') hook.custom_webhook_template = input.custom_webhook_template;
  for (const flag of EVENT_FLAGS) if (typeof input[flag] === 'boolean') hook.flags[flag] = input[flag];
}

export async function startFakeGitLab(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  return new FakeGitLab(options).start();
}
