/**
 * Answers to a click through its `response_url` (Slack: "Handling user interaction",
 * api.slack.com/interactivity/handling#message_responses): an ephemeral line to the clicker,
 * or the clicked message replaced. The URL is the payload's word: only Slack's own origin
 * (hooks.slack.com) or that of the configured Slack API URL (GovSlack, tests) is ever called.
 */

/** Slack's answer to a response_url post is quick; a click's reply is not worth holding the worker for. */
const RESPONSE_TIMEOUT_MS = 3_000;

export const SLACK_RESPONSE_ORIGIN = 'https://hooks.slack.com';

/** Whether `url` may be posted to: https://hooks.slack.com, or the origin of `slackApiUrl`. */
export function isAllowedResponseUrl(url: string | undefined, slackApiUrl?: string): url is string {
  if (!url || !URL.canParse(url)) return false;
  const origin = new URL(url).origin;
  if (origin === SLACK_RESPONSE_ORIGIN) return true;
  return slackApiUrl !== undefined && URL.canParse(slackApiUrl) && new URL(slackApiUrl).origin === origin;
}

export type SlackResponse = { response_type: 'ephemeral'; replace_original: false; text: string } | { replace_original: true; text: string; blocks: unknown[] };

/**
 * Posts one response; never throws (the click's effect already happened or was refused). Says
 * what happened, for the delivery log.
 */
export async function respond(url: string | undefined, body: SlackResponse, options: { slackApiUrl?: string; fetch?: typeof fetch } = {}): Promise<string> {
  if (!isAllowedResponseUrl(url, options.slackApiUrl)) return 'not answered: response_url is not a Slack URL';
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok ? 'answered' : `not answered: Slack answered ${response.status}`;
  } catch (error) {
    return `not answered: ${error instanceof Error ? error.name : 'error'}`;
  }
}
