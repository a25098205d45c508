import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.js';

/**
 * A local HTTP server speaking the part of Jira Cloud's REST v3 the bridge uses, so tests run
 * the real jira.js client over the wire (the same routes under /rest/api/2 take wiki-markup
 * strings instead of ADF, as Jira Data Center does):
 *
 *   GET  /rest/api/3/issue/{key}?fields=status
 *   GET  /rest/api/3/issue/{key}/transitions
 *   POST /rest/api/3/issue/{key}/transitions   { transition: { id } }      -> 204
 *   POST /rest/api/3/issue/{key}/comment        { body: ADF }               -> 201 Comment
 *   POST /rest/api/3/issue/{key}/worklog        { timeSpent, started, comment: ADF } -> 201 Worklog
 *
 * Errors use Jira's body `{ errorMessages: [...], errors: {...} }`; 429 carries Retry-After.
 * Issues follow a small workflow; every request is recorded with its method, path, query,
 * Authorization header and JSON body.
 */

export interface WorkflowTransition {
  id: string;
  name: string;
  /** Status names it is available from; omitted: from every status (a global transition). */
  from?: string[];
  to: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface InjectedFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many requests it answers (default 1). */
  times?: number;
}

/**
 * A Jira that stops answering: `headers` accepts the request and never sends a status line;
 * `body` sends the status and headers and part of the body, then nothing.
 */
export type Stall = 'headers' | 'body';

/** Status name -> category key, as Jira groups statuses (`new`, `indeterminate`, `done`). */
const CATEGORY: Record<string, string> = {
  'To Do': 'new',
  Backlog: 'new',
  'In Progress': 'indeterminate',
  'In Review': 'indeterminate',
  Done: 'done',
  Closed: 'done',
};

/** A company-managed style workflow: Backlog/To Do -> In Progress -> In Review -> Done. */
export const DEFAULT_WORKFLOW: WorkflowTransition[] = [
  { id: '11', name: 'Start Progress', from: ['To Do', 'Backlog'], to: 'In Progress' },
  { id: '21', name: 'Start Review', from: ['In Progress'], to: 'In Review' },
  { id: '31', name: 'Done', from: ['To Do', 'In Progress', 'In Review'], to: 'Done' },
  { id: '41', name: 'Reopen', from: ['Done'], to: 'To Do' },
];

export class JiraTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly comments = new Map<string, { id: string; body: unknown }[]>();
  readonly worklogs = new Map<string, { id: string; timeSpent: string; started: unknown; comment: unknown }[]>();
  private readonly statuses = new Map<string, string>();
  private readonly failures: { method: string; pathPattern: RegExp; failure: InjectedFailure; left: number }[] = [];
  private readonly stalls: { method: string; pathPattern: RegExp; stall: Stall }[] = [];
  private nextId = 10_000;
  private server: Server | undefined;
  url = '';

  constructor(
    private workflow: WorkflowTransition[] = DEFAULT_WORKFLOW,
    /** Expected Authorization header; other values get 401. */
    private readonly expectedAuthorization?: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errorMessages: [String(error)], errors: {} }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    // Stalled responses never end on their own: drop their sockets so close() returns.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Creates (or resets) an issue in a status. */
  addIssue(key: string, status = 'To Do'): void {
    this.statuses.set(key, status);
  }

  statusOf(key: string): string | undefined {
    return this.statuses.get(key);
  }

  setWorkflow(workflow: WorkflowTransition[]): void {
    this.workflow = workflow;
  }

  /** Answers the next matching request(s) with this failure instead. */
  fail(method: string, pathPattern: RegExp, failure: InjectedFailure): void {
    this.failures.push({ method, pathPattern, failure, left: failure.times ?? 1 });
  }

  /** Stops answering the matching requests (every one, until reset) at the given point. */
  stall(method: string, pathPattern: RegExp, stall: Stall): void {
    this.stalls.push({ method, pathPattern, stall });
  }

  /** Recorded requests that changed something (POSTs), as `METHOD path`. */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  reset(): void {
    this.requests.length = 0;
    this.comments.clear();
    this.worklogs.clear();
    this.failures.length = 0;
    this.stalls.length = 0;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(response, 400, { errorMessages: ['Unexpected character in the request body'], errors: {} });
    }
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: request.headers.authorization, body });

    if (this.expectedAuthorization !== undefined && request.headers.authorization !== this.expectedAuthorization) {
      return send(response, 401, { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} });
    }
    const stalled = this.stalls.find((entry) => entry.method === method && entry.pathPattern.test(url.pathname));
    if (stalled) {
      if (stalled.stall === 'body') {
        response.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': '1000' });
        response.write('{"id":"1","fields":{"status":');
      }
      return;
    }
    const injected = this.failures.find((entry) => entry.left > 0 && entry.method === method && entry.pathPattern.test(url.pathname));
    if (injected) {
      injected.left--;
      return send(response, injected.failure.status, injected.failure.body ?? { errorMessages: [], errors: {} }, injected.failure.headers);
    }

    const match = /^\/rest\/api\/(2|3)\/issue\/([^/]+)(?:\/(transitions|comment|worklog))?$/.exec(url.pathname);
    if (!match) return send(response, 404, { errorMessages: [`No route for ${method} ${url.pathname}`], errors: {} });
    const version = match[1];
    const key = decodeURIComponent(match[2] ?? '');
    const resource = match[3];
    // REST v3 takes rich text as ADF; REST v2 (Data Center) as a wiki-markup string.
    const richText = version === '3' ? isAdf : (value: unknown) => typeof value === 'string' && value !== '';
    const status = this.statuses.get(key);
    if (status === undefined) return send(response, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
    const self = `${this.url}/rest/api/${version}/issue/${key}`;

    if (!resource && method === 'GET') {
      return send(response, 200, { id: String(this.idOf(key)), key, self, fields: { status: this.statusBody(status) } });
    }
    if (resource === 'transitions' && method === 'GET') {
      return send(response, 200, {
        expand: 'transitions',
        transitions: this.available(status).map((transition) => ({
          id: transition.id,
          name: transition.name,
          hasScreen: false,
          isGlobal: !transition.from,
          to: this.statusBody(transition.to),
        })),
      });
    }
    if (resource === 'transitions' && method === 'POST') {
      const id = (body as { transition?: { id?: unknown } } | undefined)?.transition?.id;
      const transition = this.available(status).find((candidate) => candidate.id === id);
      if (!transition) return send(response, 400, { errorMessages: [`Transition id '${String(id)}' is not valid for this issue.`], errors: {} });
      this.statuses.set(key, transition.to);
      response.writeHead(204);
      return void response.end();
    }
    if (resource === 'comment' && method === 'POST') {
      const adf = (body as { body?: unknown } | undefined)?.body;
      if (!richText(adf))
        return send(response, 400, {
          errorMessages: [],
          errors: { comment: version === '3' ? 'Comment body is not valid Atlassian Document Format.' : 'Comment body can not be empty!' },
        });
      const id = String(this.nextId++);
      this.comments.set(key, [...(this.comments.get(key) ?? []), { id, body: adf }]);
      const now = new Date().toISOString();
      return send(response, 201, { id, self: `${self}/comment/${id}`, body: adf, created: now, updated: now, jsdPublic: true });
    }
    if (resource === 'worklog' && method === 'POST') {
      const worklog = body as { timeSpent?: unknown; started?: unknown; comment?: unknown } | undefined;
      if (typeof worklog?.timeSpent !== 'string' || !/^(\d*\.?\d+[wdhm] ?)+$/.test(worklog.timeSpent)) {
        return send(response, 400, { errorMessages: [], errors: { timeLogged: 'Invalid time duration entered.' } });
      }
      if (worklog.comment !== undefined && !richText(worklog.comment))
        return send(response, 400, { errorMessages: [], errors: { comment: 'Comment is not valid Atlassian Document Format.' } });
      const id = String(this.nextId++);
      this.worklogs.set(key, [...(this.worklogs.get(key) ?? []), { id, timeSpent: worklog.timeSpent, started: worklog.started, comment: worklog.comment }]);
      return send(response, 201, {
        id,
        self: `${self}/worklog/${id}`,
        issueId: String(this.idOf(key)),
        timeSpent: worklog.timeSpent,
        started: worklog.started,
        comment: worklog.comment,
      });
    }
    return send(response, 405, { errorMessages: [`${method} is not allowed here`], errors: {} });
  }

  private available(status: string): WorkflowTransition[] {
    return this.workflow.filter((transition) => !transition.from || transition.from.includes(status));
  }

  private statusBody(name: string): Record<string, unknown> {
    const categoryKey = CATEGORY[name] ?? 'indeterminate';
    return { id: String(Object.keys(CATEGORY).indexOf(name) + 1), name, statusCategory: { id: 1, key: categoryKey, name: categoryKey } };
  }

  private idOf(key: string): number {
    return [...this.statuses.keys()].indexOf(key) + 1;
  }
}

/** Starts a Jira stand-in on a random loopback port. */
export async function startJiraServer(options: { workflow?: WorkflowTransition[]; expectedAuthorization?: string } = {}): Promise<JiraTestServer> {
  return new JiraTestServer(options.workflow, options.expectedAuthorization).start();
}

/** The Basic Authorization header Jira expects for an email and API token. */
export function basicAuthorization(email: string, apiToken: string): string {
  return `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
}

function isAdf(value: unknown): boolean {
  const document = value as { type?: unknown; version?: unknown; content?: unknown } | undefined;
  return document?.type === 'doc' && document.version === 1 && Array.isArray(document.content);
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}
