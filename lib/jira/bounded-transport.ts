import {
  ApiError,
  AuthError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ServerError,
  type Client,
  type SendRequestOptions,
} from 'jira.js/core';

/**
 * Per-call bound. A delivery makes a few Jira calls (status, transitions, transition, comment,
 * worklog) inside the worker's 60 s Lambda timeout (cdk/bridge-stack.ts WORKER_TIMEOUT); Jira
 * Cloud answers these in well under a second when healthy.
 */
export const JIRA_REQUEST_TIMEOUT_MS = 8_000;

/** `NetworkError.code` of a call that hit the bound (connect, headers or body). */
export const JIRA_TIMEOUT_CODE = 'ETIMEDOUT';

/**
 * A jira.js `Client` (the transport `createCloudClient` and the Data Center calls go through)
 * whose every request carries an abort signal covering connect, headers and body.
 *
 * Why not jira.js's own `createClient`: in jira.js 6 it calls the global `fetch` with no signal
 * and has no timeout option (lib/jira/jira-js-gateway.ts used it; a stalled Jira then held the
 * worker until the Lambda timeout). This keeps its wire behaviour for the calls the bridge makes
 * (URL and search params, JSON body, Accept/Content-Type, error classes by status) so
 * `toBridgeError` maps failures the same way, and adds the bound and `redirect: 'error'` (a
 * redirect would re-send the Authorization header to wherever it points).
 */
export class BoundedJiraTransport implements Client {
  private readonly host: string;

  constructor(
    host: string,
    private readonly authorization: string,
    private readonly timeoutMs: number = JIRA_REQUEST_TIMEOUT_MS,
  ) {
    this.host = host.replace(/\/+$/, '');
  }

  async sendRequest<T>(options: SendRequestOptions<T>): Promise<T> {
    const method = options.method ?? 'GET';
    const url = withSearchParams(`${this.host}${options.url.startsWith('/') ? '' : '/'}${options.url}`, options.searchParams);
    const hasBody = options.body !== undefined && options.body !== null;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          Accept: 'application/json',
          // jira.js sends it on bodyless writes too: some Jira endpoints answer 415 without it.
          ...(hasBody || (method !== 'GET' && method !== 'HEAD') ? { 'Content-Type': 'application/json' } : {}),
          Authorization: this.authorization,
          ...options.headers,
        },
        ...(hasBody ? { body: JSON.stringify(options.body) } : {}),
        redirect: 'error',
        signal,
      });
      // Inside the same try: the signal also bounds a body that stops mid-way.
      text = await response.text();
    } catch (error) {
      throw transportError(error, this.timeoutMs);
    }
    const data = parseBody(text, response.headers.get('content-type'));
    if (!response.ok) throw httpError(response, data, text);
    if (response.status === 204 || data === undefined) return undefined as T;
    if (!options.schema) return data as T;
    // jira.js's default for a response that drifted from its schema is to warn and use it as
    // it is; the bridge reads a few fields and checks them itself.
    const parsed = options.schema.safeParse(data);
    return parsed.success ? parsed.data : (data as T);
  }
}

/** Search params as jira.js serialises them: arrays repeat the key, objects as JSON. */
function withSearchParams(url: string, searchParams: Record<string, unknown> | undefined): string {
  if (!searchParams) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(searchParams)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== undefined && item !== null) params.append(key, String(item));
    } else {
      params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean));
    }
  }
  const query = params.toString();
  return query ? `${url}${url.includes('?') ? '&' : '?'}${query}` : url;
}

function parseBody(text: string, contentType: string | null): unknown {
  if (!text) return undefined;
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** jira.js's error class for the status (its `createApiError`, which the package does not export). */
function httpError(response: Response, body: unknown, text: string): ApiError {
  const { status, statusText } = response;
  const message = `Request failed: ${status} ${statusText}${text ? ` - ${text.slice(0, 300)}` : ''}`;
  if (status === 401) return new AuthError(message, statusText, body);
  if (status === 403) return new ForbiddenError(message, statusText, body);
  if (status === 404) return new NotFoundError(message, statusText, body);
  if (status === 429) return new RateLimitError(message, statusText, body, { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
  if (status >= 500) return new ServerError(message, status, statusText, body);
  return new ApiError(message, status, statusText, body);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3). */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A failure before a complete answer, as jira.js's NetworkError. The message never quotes the
 * URL or the cause's message (which may): only the code.
 */
function transportError(error: unknown, timeoutMs: number): NetworkError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new NetworkError(`no complete answer within ${timeoutMs} ms`, { cause: error, code: JIRA_TIMEOUT_CODE, transient: true });
  }
  let code: string | undefined;
  let cursor: unknown = error;
  for (let depth = 0; cursor instanceof Error && depth < 5 && !code; depth++) {
    const candidate = (cursor as { code?: unknown }).code;
    if (typeof candidate === 'string') code = candidate;
    cursor = cursor.cause;
  }
  return new NetworkError(`request failed${code ? ` (${code})` : ''}`, { cause: error, ...(code ? { code } : {}), transient: true });
}
