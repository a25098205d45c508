import { DownstreamUnavailable } from '../errors.js';
import type { GitLabApi, GitLabUser } from './api.js';

/** Issue 11: every GitLab call is bounded: 5 s a try (body included), at most 2 retries. */
export const GITLAB_TIMEOUT_MS = 5_000;
export const GITLAB_MAX_RETRIES = 2;
/** A `Retry-After` / `RateLimit-Reset` longer than this gives up instead of holding a notice. */
export const GITLAB_MAX_WAIT_MS = 5_000;

/**
 * A GitLab call that did not give an answer to use. `reason` is short and human, for a notice's
 * "log excerpt unavailable: …" line: `GitLab answered 403`, `GitLab did not answer within 5 s`.
 * Never carries the token or the request's headers.
 */
export class GitLabUnavailable extends DownstreamUnavailable {
  constructor(
    readonly reason: string,
    status?: number,
    options?: ErrorOptions,
  ) {
    super('GitLab', reason, status, options);
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
}

const RETRIED_STATUS = (status: number) => status === 429 || status >= 500;

/**
 * The request core: `PRIVATE-TOKEN`, no redirects followed (a redirect could carry the token
 * elsewhere), one timeout per try covering the body, at most `retries` retries on 429, 5xx
 * and connection errors, waiting what `Retry-After` (seconds or an HTTP date) or
 * `RateLimit-Reset` (epoch seconds) asks when that is at most `maxWaitMs`. A timeout is not
 * retried: a GitLab that stalled once is likely to stall again, and a notice waits on it.
 * `read` consumes the response within the same timeout. Reusable by the CLI's hook client.
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

  for (let attempt = 0; ; attempt += 1) {
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(url, {
        method: request.method ?? 'GET',
        headers: { 'PRIVATE-TOKEN': options.token, Accept: 'application/json', ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        redirect: 'error',
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw new GitLabUnavailable(`GitLab did not answer within ${seconds}`, undefined, { cause: error });
      // `redirect: 'error'`: a redirect fails the fetch; it is an answer, not a network error.
      if (/redirect/i.test(networkReason(error))) throw new GitLabUnavailable('GitLab answered with a redirect (not followed)', undefined, { cause: error });
      if (attempt < retries) continue;
      throw new GitLabUnavailable(`GitLab could not be reached (${networkReason(error)})`, undefined, { cause: error });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new GitLabUnavailable(`GitLab answered ${response.status} (a redirect, not followed)`, response.status);
    }
    if (RETRIED_STATUS(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      const waitMs = retryWaitMs(response.headers, now());
      if (attempt >= retries) throw new GitLabUnavailable(`GitLab answered ${response.status}`, response.status);
      if (waitMs !== undefined && waitMs > maxWaitMs) {
        throw new GitLabUnavailable(`GitLab answered ${response.status} (retry after ${Math.ceil(waitMs / 1000)} s)`, response.status);
      }
      await sleep(waitMs ?? 200 * 2 ** attempt);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new GitLabUnavailable(`GitLab answered ${response.status}`, response.status);
    }
    try {
      return await read(response);
    } catch (error) {
      if (error instanceof GitLabUnavailable) throw error;
      if (signal.aborted) throw new GitLabUnavailable(`GitLab did not answer within ${seconds}`, undefined, { cause: error });
      throw new GitLabUnavailable(`GitLab's answer could not be read (${networkReason(error)})`, response.status, { cause: error });
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

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message.slice(0, 100);
  return error instanceof Error ? error.message.slice(0, 100) : 'unknown error';
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

/** How the worker and the local bridge build a client for an instance root and token (see ./access.ts). */
export const gitlabClientFactory = (root: string, token: string): GitLabApi => new GitLabClient({ url: root, token });
