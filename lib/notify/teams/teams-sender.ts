import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../../config/https.js';
import { ENV } from '../../env.js';
import { ConfigError, DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable, type DownstreamService } from '../../errors.js';
import type { TeamsMessage } from './adaptive-card.js';

export const TEAMS: DownstreamService = 'Teams';

/** Per-request timeout: a delivery runs several actions, each up to 3 requests, inside the worker's 60 s Lambda timeout. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Posts cards to Teams Workflows webhooks. The webhook URL is a secret (its query string holds
 * the signature that authorizes the post): errors and logs name the webhook, never the URL.
 */
export class TeamsSender {
  constructor(private readonly options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {}

  /**
   * POSTs the message. A Workflows webhook answers 202 with an empty body: any 2xx is success.
   * 429 -> rate limited (Retry-After), 5xx and network errors -> unavailable, other 4xx ->
   * rejected (a flow that was deleted or turned off answers 404/403).
   */
  async post(webhookName: string, url: string, message: TeamsMessage): Promise<{ status: number }> {
    // Checked here, where every webhook URL passes (Teams secret or TEAMS_WEBHOOK_URL): over
    // plain http the URL, and so its signature, would cross the network in clear.
    if (!isHttpsOrLoopback(url)) {
      throw new ConfigError(
        `Teams webhook "${webhookName}": its URL ${HTTPS_REQUIRED}; fix it in the Teams secret (${ENV.teamsSecretId}) or ${ENV.teamsWebhookUrl}`,
      );
    }
    const fetchFn = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      // The cause is kept for a debugger; it may quote the URL, so only the message is recorded.
      throw new DownstreamUnavailable(TEAMS, `Teams webhook "${webhookName}" unreachable: ${networkReason(error)}`, undefined, { cause: error });
    }
    // Read (and discard) the body so the connection can be reused.
    const body = await response.text().catch(() => '');
    if (response.ok) return { status: response.status };
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new DownstreamRateLimited(
        TEAMS,
        retryAfterMs,
        `Teams webhook "${webhookName}" rate limited the post${retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)}s` : ''}`,
      );
    }
    if (response.status >= 500) {
      throw new DownstreamUnavailable(TEAMS, `Teams webhook "${webhookName}" answered HTTP ${response.status}`, response.status);
    }
    throw new DownstreamRejected(TEAMS, `Teams webhook "${webhookName}" answered HTTP ${response.status}`, response.status, errorDetails(body));
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  // fetch's own message is generic ("fetch failed"); the cause's code says what happened. Never
  // the cause's message: for some failures it quotes the URL.
  return typeof code === 'string' ? code : 'network error';
}

/**
 * The flow's error text, shortened, with anything URL-like removed: the refusal may echo the
 * request URL, and that URL carries the webhook's signature.
 */
function errorDetails(body: string): string[] {
  const text = body
    .replace(/https?:\/\/\S+/g, '[url]')
    .replace(/sig=[^&\s"]+/gi, 'sig=[REDACTED]')
    .trim();
  return text ? [text.slice(0, 300)] : [];
}
