import { WebAPIPlatformError, WebClient } from '@slack/web-api';

/**
 * A mention lookup waits at most this long, once: the notice goes out without the mention
 * rather than late (the worker runs several actions inside its 60 s Lambda timeout).
 */
export const LOOKUP_TIMEOUT_MS = 3_000;

/** What a lookup by email found: a member id, nobody, or that the bot may not look (no scope). */
export type SlackLookupAnswer = { id: string } | { notFound: true } | { missingScope: true };

/** Slack's `users.lookupByEmail` (bot scope `users:read.email`). Throws when Slack fails or does not answer. */
export interface SlackUserLookup {
  lookupByEmail(email: string): Promise<SlackLookupAnswer>;
}

/** `users.lookupByEmail` through @slack/web-api: no retries, one short timeout. */
export class WebApiSlackUserLookup implements SlackUserLookup {
  private readonly client: WebClient;

  constructor(token: string, options: { apiUrl?: string; timeoutMs?: number } = {}) {
    this.client = new WebClient(token, {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs ?? LOOKUP_TIMEOUT_MS,
    });
  }

  async lookupByEmail(email: string): Promise<SlackLookupAnswer> {
    try {
      const result = await this.client.users.lookupByEmail({ email });
      return result.user?.id ? { id: result.user.id } : { notFound: true };
    } catch (error) {
      // Slack's documented refusals (users.lookupByEmail "Errors"): nobody with that email, or
      // the app lacks users:read.email. Anything else (5xx, timeout, rate limit) is thrown.
      if (error instanceof WebAPIPlatformError) {
        if (error.data.error === 'users_not_found') return { notFound: true };
        if (error.data.error === 'missing_scope') return { missingScope: true };
      }
      throw error;
    }
  }
}

/** A lookup with the current bot token (a rotated token gets a new client), or undefined without one. */
export function slackLookupFrom(
  token: () => Promise<string | undefined>,
  options: { apiUrl?: string; timeoutMs?: number } = {},
): () => Promise<SlackUserLookup | undefined> {
  let current: { token: string; lookup: SlackUserLookup } | undefined;
  return async () => {
    const value = await token();
    if (!value) return undefined;
    if (current?.token !== value) current = { token: value, lookup: new WebApiSlackUserLookup(value, options) };
    return current.lookup;
  };
}
