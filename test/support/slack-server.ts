import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.js';

/**
 * A local stand-in for Slack's Web API (https://api.slack.com/web), enough of it to drive the
 * real `@slack/web-api` WebClient: `chat.postMessage`, `chat.update` and `users.lookupByEmail`
 * (members added with `addUser`), form-encoded (what
 * WebClient sends) or JSON bodies, bearer-token auth, `{ok, ts, channel}` / `{ok:false, error}`
 * answers, and scripted failures (HTTP 429 with Retry-After, HTTP 5xx, platform errors, dropped
 * connections).
 * Like Slack, it resolves `#name` channels for posting but requires the channel id for
 * chat.update, and refuses to update or thread under a message it does not have.
 */

export interface SlackCall {
  method: string;
  /** The `Authorization` header as received. */
  authorization: string | undefined;
  contentType: string | undefined;
  /** Body parameters; `blocks` parsed from its JSON text. */
  params: Record<string, unknown>;
  /** The raw request body. */
  raw: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  /** Every version of the message, oldest first (chat.update appends). */
  history: Array<{ text: string; blocks: unknown[] }>;
}

/**
 * `drop` destroys the connection after reading the request and before doing anything, as a
 * network failure or a load balancer reset would: nothing is posted, the client sees no answer.
 * `stallMs` holds the request that long, then drops it: a Slack that does not answer in time.
 */
export type ScriptedFailure =
  { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 } | { error: string } | { drop: true } | { stallMs: number };

export interface SlackServer {
  apiUrl: string;
  token: string;
  calls: SlackCall[];
  messages: StoredMessage[];
  /** Top-level messages in a channel (by id), oldest first. */
  channelMessages(channelId: string): StoredMessage[];
  /** Replies under a parent ts. */
  replies(parentTs: string): StoredMessage[];
  /** Answers the next `times` calls to `method` with a failure. */
  failNext(method: string, failure: ScriptedFailure, times?: number): void;
  /** Answers every chat.postMessage to `channel` with a failure until reset. */
  failChannel(channel: string, failure: ScriptedFailure): void;
  /** The id the server gives a `#name` channel. */
  channelId(nameOrId: string): string;
  /**
   * Deletes a message as a person in the channel would: later chat.update calls on it answer
   * `message_not_found`, replies naming it as `thread_ts` answer `thread_not_found`.
   */
  deleteMessage(ts: string): void;
  /** A workspace member `users.lookupByEmail` finds (case-insensitive, as Slack). */
  addUser(email: string, id: string): void;
  /** Every `users.lookupByEmail` call so far. */
  lookups(): SlackCall[];
  /**
   * A click's `response_url` for a message (`/actions/<channel>/<ts>`), like Slack's
   * `https://hooks.slack.com/actions/...`: an ephemeral body is recorded in `responses`, a
   * `replace_original` one also replaces the message (its history grows, as with chat.update).
   */
  responseUrl(channel: string, ts: string): string;
  /** Bodies posted to response URLs, in order. */
  responses: Array<{ channel: string; ts: string; body: Record<string, unknown> }>;
  /** A user group `usergroups.users.list` answers with. */
  addUserGroup(id: string, members: string[]): void;
  reset(): void;
  close(): Promise<void>;
}

function parseParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) params[key] = value;
  // Form-encoded Block Kit arrives as a JSON string, as Slack documents.
  if (typeof params.blocks === 'string') params.blocks = JSON.parse(params.blocks);
  return params;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

export async function startSlackServer(options: { token?: string } = {}): Promise<SlackServer> {
  const token = options.token ?? 'xoxb-test-token';
  const calls: SlackCall[] = [];
  const messages: StoredMessage[] = [];
  const failures = new Map<string, ScriptedFailure[]>();
  const channelFailures = new Map<string, ScriptedFailure>();
  const users = new Map<string, string>();
  let clock = 1_700_000_000;
  let sequence = 0;

  const channelId = (nameOrId: string) =>
    nameOrId.startsWith('#')
      ? `C${nameOrId
          .slice(1)
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')}`
      : nameOrId;
  const nextTs = () => `${clock + Math.floor(++sequence / 1000)}.${String(sequence % 1000).padStart(6, '0')}`;

  const responses: SlackServer['responses'] = [];
  const groups = new Map<string, string[]>();
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const raw = await readBody(request);
    const action = /^\/actions\/([^/]+)\/([^/?]+)$/.exec(request.url ?? '');
    if (action) {
      const [, channel, ts] = action as unknown as [string, string, string];
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      responses.push({ channel, ts, body });
      if (body.replace_original === true) {
        const message = messages.find((candidate) => candidate.channel === channel && candidate.ts === ts);
        if (!message) return send(response, 404, { ok: false, error: 'message_not_found' });
        message.text = typeof body.text === 'string' ? body.text : '';
        message.blocks = Array.isArray(body.blocks) ? body.blocks : [];
        message.history.push({ text: message.text, blocks: message.blocks });
      }
      return send(response, 200, { ok: true });
    }
    const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const contentType = request.headers['content-type'];
    let params: Record<string, unknown>;
    try {
      params = parseParams(raw, contentType);
    } catch {
      send(response, 200, { ok: false, error: 'invalid_form_data' });
      return;
    }
    calls.push({ method, authorization: request.headers.authorization, contentType, params, raw });

    const scripted = failures.get(method)?.shift() ?? (typeof params.channel === 'string' ? channelFailures.get(params.channel) : undefined);
    if (scripted) {
      if ('drop' in scripted) return void request.socket.destroy();
      if ('stallMs' in scripted) {
        await new Promise((resolve) => setTimeout(resolve, scripted.stallMs));
        return void request.socket.destroy();
      }
      if ('error' in scripted) return send(response, 200, { ok: false, error: scripted.error });
      if (scripted.status === 429) return send(response, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(scripted.retryAfterSeconds) });
      return send(response, scripted.status, { ok: false, error: 'internal_error' });
    }
    if (request.headers.authorization !== `Bearer ${token}`) return send(response, 200, { ok: false, error: 'invalid_auth' });

    const text = typeof params.text === 'string' ? params.text : '';
    const blocks = Array.isArray(params.blocks) ? params.blocks : [];
    if (method === 'chat.postMessage') {
      if (typeof params.channel !== 'string' || params.channel === '') return send(response, 200, { ok: false, error: 'channel_not_found' });
      if (text === '' && blocks.length === 0) return send(response, 200, { ok: false, error: 'no_text' });
      const channel = channelId(params.channel);
      const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
      if (threadTs && !messages.some((message) => message.channel === channel && message.ts === threadTs)) {
        return send(response, 200, { ok: false, error: 'thread_not_found' });
      }
      const ts = nextTs();
      messages.push({ channel, ts, text, blocks, ...(threadTs ? { threadTs } : {}), history: [{ text, blocks }] });
      return send(response, 200, { ok: true, channel, ts, message: { text, ts } });
    }
    if (method === 'chat.update') {
      const channel = typeof params.channel === 'string' ? params.channel : '';
      // chat.update takes the channel id only (Slack: "channel_not_found" for a #name).
      if (channel.startsWith('#')) return send(response, 200, { ok: false, error: 'channel_not_found' });
      const message = messages.find((candidate) => candidate.channel === channel && candidate.ts === params.ts);
      if (!message) return send(response, 200, { ok: false, error: 'message_not_found' });
      message.text = text;
      message.blocks = blocks;
      message.history.push({ text, blocks });
      return send(response, 200, { ok: true, channel, ts: message.ts, text });
    }
    if (method === 'usergroups.users.list') {
      const members = groups.get(typeof params.usergroup === 'string' ? params.usergroup : '');
      return members ? send(response, 200, { ok: true, users: members }) : send(response, 200, { ok: false, error: 'no_such_subteam' });
    }
    if (method === 'users.lookupByEmail') {
      const email = typeof params.email === 'string' ? params.email.toLowerCase() : '';
      if (email === '') return send(response, 200, { ok: false, error: 'invalid_email' });
      const id = users.get(email);
      if (!id) return send(response, 200, { ok: false, error: 'users_not_found' });
      return send(response, 200, { ok: true, user: { id, team_id: 'T0TEST', name: email.split('@')[0], deleted: false } });
    }
    return send(response, 200, { ok: false, error: 'unknown_method' });
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { ok: false, error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token,
    responses,
    responseUrl: (channel, ts) => `http://127.0.0.1:${port}/actions/${channel}/${ts}`,
    addUserGroup: (id, members) => void groups.set(id, members),
    calls,
    messages,
    channelMessages: (id) => messages.filter((message) => message.channel === id && message.threadTs === undefined),
    replies: (parentTs) => messages.filter((message) => message.threadTs === parentTs),
    failNext: (method, failure, times = 1) => {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(method, queue);
    },
    failChannel: (channel, failure) => {
      channelFailures.set(channel, failure);
    },
    channelId,
    deleteMessage: (ts) => {
      const index = messages.findIndex((message) => message.ts === ts);
      if (index === -1) throw new Error(`no message ${ts} to delete`);
      messages.splice(index, 1);
    },
    addUser: (email, id) => {
      users.set(email.toLowerCase(), id);
    },
    lookups: () => calls.filter((call) => call.method === 'users.lookupByEmail'),
    reset: () => {
      calls.length = 0;
      users.clear();
      messages.length = 0;
      failures.clear();
      channelFailures.clear();
      clock += 1000;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
