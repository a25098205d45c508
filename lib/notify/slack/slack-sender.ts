import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, type RetryOptions } from '@slack/web-api';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../../config/https.js';
import { ENV } from '../../env.js';
import { ConfigError, DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable, type DownstreamService } from '../../errors.js';
import type { SlackMessage } from './block-kit.js';

export const SLACK: DownstreamService = 'Slack';

/**
 * WebClient's default policy retries for ~30 minutes, far longer than the worker Lambda lives.
 * A couple of quick retries absorb a blip; beyond that the error goes back to the queue, which
 * retries with its own backoff and dead-letters in the end.
 */
export const BOUNDED_SLACK_RETRIES: RetryOptions = { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000, randomize: true };

/** Per-request timeout: a delivery runs several actions, each up to 3 requests, inside the worker's 60 s Lambda timeout. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Slack platform errors (`ok: false`) that mean "try again later" rather than "this request is
 * wrong" (Slack Web API docs, chat.postMessage "Errors").
 */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_not_found_temporarily']);

export interface SlackSenderOptions {
  /** Web API base URL; Slack's own when absent. */
  apiUrl?: string;
  retryConfig?: RetryOptions;
  timeoutMs?: number;
}

export interface PostedMessage {
  /** Message timestamp: Slack's message id within the channel. */
  ts: string;
  /** Channel id as Slack resolved it (a `#name` becomes `C...`); chat.update needs the id. */
  channel: string;
}

/** Posts and updates Slack messages through the official Web API client. */
export class SlackSender {
  private readonly client: WebClient;

  constructor(token: string, options: SlackSenderOptions = {}) {
    // The bot token goes in every request's Authorization header.
    if (options.apiUrl && !isHttpsOrLoopback(options.apiUrl)) {
      throw new ConfigError(`Slack API URL (slack.apiUrl or ${ENV.slackApiUrl}) ${JSON.stringify(options.apiUrl)} ${HTTPS_REQUIRED}`);
    }
    this.client = new WebClient(token, {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      retryConfig: options.retryConfig ?? BOUNDED_SLACK_RETRIES,
      // 429 surfaces at once with its Retry-After; the queue waits instead of the Lambda.
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs ?? REQUEST_TIMEOUT_MS,
    });
  }

  /** chat.postMessage; `threadTs` makes it a reply in that thread. */
  async post(channel: string, message: SlackMessage, threadTs?: string): Promise<PostedMessage> {
    try {
      const result = await this.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      if (!result.ts) throw new DownstreamUnavailable(SLACK, `chat.postMessage to ${channel} returned no ts`);
      return { ts: result.ts, channel: result.channel ?? channel };
    } catch (error) {
      throw slackError(error, `chat.postMessage to ${channel}`);
    }
  }

  /** chat.update of an earlier message (the parent of a thread). */
  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    try {
      await this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      throw slackError(error, `chat.update of ${ts} in ${channel}`);
    }
  }
}

/**
 * Slack's answers for a message that is gone (deleted by someone in the channel):
 * chat.update says `message_not_found` (Slack Web API docs, chat.update "Errors"); a reply
 * whose `thread_ts` no longer names a message gets `thread_not_found` (the error Slack's
 * thread methods document for an unknown `thread_ts`), or `message_not_found`.
 */
const MISSING_MESSAGE_ERRORS = new Set(['message_not_found', 'thread_not_found']);

/**
 * True when Slack refused a call because the message it names (the parent of a thread, the
 * message to update) no longer exists: the caller posts a new message instead of failing the
 * same way on every later event.
 */
export function isMissingMessage(error: unknown): boolean {
  return error instanceof DownstreamRejected && error.service === SLACK && error.details.some((code) => MISSING_MESSAGE_ERRORS.has(code));
}

/**
 * Maps the client's errors onto the worker's failure classes: 429 -> rate limited (with Slack's
 * Retry-After), 5xx and network failures -> unavailable (retried), `ok: false` platform errors
 * such as `channel_not_found`, `not_in_channel`, `invalid_auth` -> rejected with Slack's code.
 */
export function slackError(error: unknown, what: string): Error {
  if (error instanceof DownstreamRateLimited || error instanceof DownstreamUnavailable || error instanceof DownstreamRejected) return error;
  const cause = { cause: error };
  if (error instanceof WebAPIRateLimitedError) {
    return new DownstreamRateLimited(SLACK, error.retryAfter * 1000, `Slack rate limited ${what}; retry after ${error.retryAfter}s`, cause);
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (code === 'ratelimited') return new DownstreamRateLimited(SLACK, undefined, `Slack rate limited ${what} (ratelimited)`, cause);
    if (TRANSIENT_PLATFORM_ERRORS.has(code)) return new DownstreamUnavailable(SLACK, `Slack could not complete ${what}: ${code}`, undefined, cause);
    return new DownstreamRejected(SLACK, `Slack refused ${what}: ${code}${hint(code)}`, undefined, [code], cause);
  }
  if (error instanceof WebAPIHTTPError) {
    if (error.statusCode >= 500) return new DownstreamUnavailable(SLACK, `Slack answered HTTP ${error.statusCode} to ${what}`, error.statusCode, cause);
    return new DownstreamRejected(SLACK, `Slack answered HTTP ${error.statusCode} to ${what}`, error.statusCode, [], cause);
  }
  if (error instanceof WebAPIRequestError) {
    return new DownstreamUnavailable(SLACK, `Slack unreachable for ${what}: ${networkReason(error.original)}`, undefined, cause);
  }
  return new DownstreamUnavailable(SLACK, `Slack ${what} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, cause);
}

function networkReason(error: Error): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  return typeof cause?.code === 'string' ? cause.code : error.message;
}

/** What an operator does about the common refusals. */
function hint(code: string): string {
  switch (code) {
    case 'not_in_channel':
      return ' (invite the bridge app to the channel: /invite @app)';
    case 'channel_not_found':
      return ' (check the channel id in the route; private channels need the app invited)';
    case 'invalid_auth':
    case 'not_authed':
    case 'token_revoked':
    case 'account_inactive':
      return ' (check the Slack bot token in the Slack secret)';
    case 'missing_scope':
      return ' (the Slack app needs the chat:write scope)';
    default:
      return '';
  }
}
