import { DownstreamUnavailable } from '../errors.js';
import type { GitLabApi, GitLabUser } from './api.js';

/** Issue 11: every GitLab call is bounded: 5 s a try (body included), at most 2 retries. */
export const GITLAB_TIMEOUT_MS = 5_000;
export const GITLAB_MAX_RETRIES = 2;
/** A `Retry-After` / `RateLimit-Reset` longer than this gives up instead of holding a notice. */
export const GITLAB_MAX_WAIT_MS = 5_000;

/** How a GitLab call failed, for callers that word it themselves (the CLI names the method and path). */
export type GitLabFailure = 'timeout' | 'redirect' | 'unreachable' | 'unreadable' | 'status';

/**
 * A GitLab call that did not give an answer to use. `reason` is short and human, for a notice's
 * "log excerpt unavailable: …" line: `GitLab answered 403`, `GitLab did not answer within 5 s`.
 * Never carries the token or the request's headers. `cause` is the fetch error, when there was one.
 */
export class GitLabUnavailable extends DownstreamUnavailable {
  readonly kind: GitLabFailure;
  constructor(
    readonly reason: string,
    status?: number,
    options?: ErrorOptions & { kind?: GitLabFailure },
  ) {
    super('GitLab', reason, status, options);
    this.kind = options?.kind ?? (status === undefined ? 'unreachable' : 'status');
  }
}

export interface GitLabRequestOptions {
  /** The instance's root, `https://gitlab.example.com` (the API is under `/api/v4`). */
  url: string;
  token: string;
  fetch?: typeof fetch;
  /** Per try, the body read included. */
  timeoutMs?: number;
  retries?: number;
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** One request: method, path under `/api/v4` (segments already encoded), optional query and JSON body. */
export interface GitLabRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * Whether a 5xx or a connection error may be retried: the request may have been carried out
   * before it failed, and a retried POST (a webhook created twice) is not the same as one.
   * Default: true for GET and HEAD only. A 429 is retried either way: GitLab's rate limiter
   * refuses the request before running it.
   */
  idempotent?: boolean;
  /**
   * Hand the final non-2xx answer (after any retries) to `read` instead of throwing
   * GitLabUnavailable, for a caller that keeps GitLab's own words (the CLI's hook client).
   * Redirects are still refused.
   */
  readErrors?: boolean;
}

/**
 * The request core: `PRIVATE-TOKEN`, no redirects followed (a redirect could carry the token
 * elsewhere), one timeout per try covering the body, at most `retries` retries on 429, 5xx
 * and connection errors, waiting what `Retry-After` (seconds or an HTTP date) or
 * `RateLimit-Reset` (epoch seconds) asks when that is at most `maxWaitMs`; 5xx and connection
 * errors only for an idempotent request (see GitLabRequest.idempotent). A timeout is not
 * retried: a GitLab that stalled once is likely to stall again, and a notice waits on it.
 * `read` consumes the response within the same timeout (its headers too: `x-next-page` for
 * lists). The one HTTP path to GitLab: the worker's GitLabClient and the CLI's hook client
 * (./hooks-api.ts) both use it.
 */
export async function gitlabRequest<T>(options: GitLabRequestOptions, request: GitLabRequest, read: (response: Response) => Promise<T>): Promise<T> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? GITLAB_TIMEOUT_MS;
  const retries = options.retries ?? GITLAB_MAX_RETRIES;
  const maxWaitMs = options.maxWaitMs ?? GITLAB_MAX_WAIT_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const url = new URL(`${options.url.replace(/\/+$/, '')}/api/v4/${request.path.replace(/^\/+/, '')}`);
  for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
  const seconds = `${Math.round(timeoutMs / 100) / 10} s`;

  const method = request.method ?? 'GET';
  const idempotent = request.idempotent ?? (method === 'GET' || method === 'HEAD');
  const timedOut = (error: unknown) => new GitLabUnavailable(`GitLab did not answer within ${seconds}`, undefined, { cause: error, kind: 'timeout' });

  for (let attempt = 0; ; attempt += 1) {
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: { 'PRIVATE-TOKEN': options.token, Accept: 'application/json', ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        // fetch would follow a redirect and send PRIVATE-TOKEN (and a POSTed hook's token, on a
        // 307/308) to wherever it points, another origin included: never follow one.
        redirect: 'error',
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw timedOut(error);
      // `redirect: 'error'`: a redirect fails the fetch; it is an answer, not a network error.
      if (isRedirectFailure(error))
        throw new GitLabUnavailable('GitLab answered with a redirect (not followed)', undefined, { cause: error, kind: 'redirect' });
      if (idempotent && attempt < retries) continue;
      throw new GitLabUnavailable(`GitLab could not be reached (${networkReason(error)})`, undefined, { cause: error, kind: 'unreachable' });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new GitLabUnavailable(`GitLab answered ${response.status} (a redirect, not followed)`, response.status, { kind: 'redirect' });
    }
    let refusal: string | undefined;
    if (response.status === 429 || (idempotent && response.status >= 500)) {
      const waitMs = retryWaitMs(response.headers, now());
      if (attempt >= retries) refusal = `GitLab answered ${response.status}`;
      else if (waitMs !== undefined && waitMs > maxWaitMs) refusal = `GitLab answered ${response.status} (retry after ${Math.ceil(waitMs / 1000)} s)`;
      else {
        await response.body?.cancel().catch(() => undefined);
        await sleep(waitMs ?? 200 * 2 ** attempt);
        continue;
      }
    } else if (!response.ok) refusal = `GitLab answered ${response.status}`;
    if (refusal !== undefined && !request.readErrors) {
      await response.body?.cancel().catch(() => undefined);
      throw new GitLabUnavailable(refusal, response.status, { kind: 'status' });
    }
    try {
      return await read(response);
    } catch (error) {
      if (error instanceof GitLabUnavailable) throw error;
      if (signal.aborted) throw timedOut(error);
      throw new GitLabUnavailable(`GitLab's answer could not be read (${networkReason(error)})`, response.status, { cause: error, kind: 'unreadable' });
    }
  }
}

/** Milliseconds asked by `Retry-After` (delta seconds or HTTP date), else `RateLimit-Reset` (epoch seconds). */
export function retryWaitMs(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = headers.get('ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - nowMs);
  return undefined;
}

/**
 * A network failure's code (`ECONNREFUSED`), else a fixed phrase. Never the error's message:
 * fetch's messages can quote a request header, PRIVATE-TOKEN included (`Headers.append:
 * "<token>" is an invalid header value`), and this reason goes into notices and records.
 */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(cause.code)) return cause.code;
  return 'network error';
}

/** Whether fetch failed on a redirect (`redirect: 'error'`): undici says so in the message of the error or its cause. */
function isRedirectFailure(error: unknown): boolean {
  const messages = [error, (error as { cause?: unknown } | undefined)?.cause].map((e) => (e instanceof Error ? e.message : ''));
  return messages.some((message) => /redirect/i.test(message) && !/header/i.test(message));
}

/**
 * The last `maxBytes` bytes of a body, read as a stream so memory stays bounded by about
 * `maxBytes` plus one chunk, decoded as UTF-8 after dropping the continuation bytes of a
 * character the cut split.
 */
export async function readTail(response: Response, maxBytes: number): Promise<{ text: string; bytesRead: number; bytesKept: number }> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let read = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      read += chunk.byteLength;
      chunks.push(chunk);
      kept += chunk.byteLength;
      while (chunks.length > 1 && kept - chunks[0]!.byteLength >= maxBytes) kept -= chunks.shift()!.byteLength;
    }
  }
  let tail = Buffer.concat(chunks);
  if (tail.byteLength > maxBytes) {
    tail = tail.subarray(tail.byteLength - maxBytes);
    let skip = 0;
    // 10xxxxxx bytes continue a character whose first byte was cut off (at most 3 of them).
    while (skip < 3 && skip < tail.byteLength && (tail[skip]! & 0xc0) === 0x80) skip += 1;
    tail = tail.subarray(skip);
  }
  return { text: new TextDecoder('utf-8').decode(tail), bytesRead: read, bytesKept: tail.byteLength };
}

/** GitLabApi over fetch, bounded as gitlabRequest says. */
export class GitLabClient implements GitLabApi {
  /** Bytes the last jobTrace read off the wire and kept (for tests and logs). */
  lastTrace: { bytesRead: number; bytesKept: number } | undefined;

  constructor(private readonly options: GitLabRequestOptions) {}

  async jobTrace(projectId: number, jobId: number, maxBytes: number): Promise<string> {
    const tail = await gitlabRequest(this.options, { path: `projects/${projectId}/jobs/${jobId}/trace` }, (response) => readTail(response, maxBytes));
    this.lastTrace = { bytesRead: tail.bytesRead, bytesKept: tail.bytesKept };
    return tail.text;
  }

  async user(userId: number): Promise<GitLabUser> {
    const body = await gitlabRequest(this.options, { path: `users/${userId}` }, (response) => response.json() as Promise<unknown>);
    const user = body as Partial<GitLabUser> | null;
    if (!user || typeof user.id !== 'number' || typeof user.username !== 'string') throw new GitLabUnavailable('GitLab answered with an unexpected user');
    return {
      id: user.id,
      username: user.username,
      ...(typeof user.name === 'string' ? { name: user.name } : {}),
      ...(typeof user.public_email === 'string' || user.public_email === null ? { public_email: user.public_email } : {}),
    };
  }
}

/** The token's scopes are read once an hour: a re-scoped token shows (or loses) the retry button within that. */
const SCOPES_CACHE_MS = 3_600_000;

/** GitLabClient with the retry button's calls (the notices' reads are in GitLabClient itself). */
export class GitLabRetryClient extends GitLabClient {
  private scopes: { at: number; value: Promise<string[]> } | undefined;

  constructor(private readonly retryOptions: GitLabRequestOptions) {
    super(retryOptions);
  }

  async retryPipeline(projectId: number, pipelineId: number): Promise<{ id: number; status: string }> {
    const body = await gitlabRequest(
      this.retryOptions,
      { method: 'POST', path: `projects/${projectId}/pipelines/${pipelineId}/retry`, idempotent: false },
      (response) => response.json() as Promise<unknown>,
    );
    const pipeline = body as { id?: unknown; status?: unknown } | null;
    return { id: typeof pipeline?.id === 'number' ? pipeline.id : pipelineId, status: typeof pipeline?.status === 'string' ? pipeline.status : 'unknown' };
  }

  tokenScopes(): Promise<string[]> {
    const now = (this.retryOptions.now ?? Date.now)();
    if (this.scopes && now - this.scopes.at < SCOPES_CACHE_MS) return this.scopes.value;
    const value = gitlabRequest(this.retryOptions, { path: 'personal_access_tokens/self' }, async (response) => {
      const body = (await response.json()) as { scopes?: unknown } | null;
      return Array.isArray(body?.scopes) ? body.scopes.filter((scope): scope is string => typeof scope === 'string') : [];
    });
    this.scopes = { at: now, value };
    // A failed read is not cached: the next notice asks again.
    value.catch(() => {
      if (this.scopes?.value === value) this.scopes = undefined;
    });
    return value;
  }
}

/** How the worker and the local bridge build a client for an instance root and token (see ./access.ts). */
export const gitlabClientFactory = (root: string, token: string): GitLabApi => new GitLabRetryClient({ url: root, token });
