import { ENV } from '../env.js';
import type { EffectResult } from '../effects/ledger.js';
import type { Credentials } from '../secrets/credentials.js';
import { unsentOutlet, type UnsentOutlet } from '../secrets/unsent.js';
import type { StateStore } from '../state/store.js';
import { slackMessageText, teamsMessageText } from './readable.js';
import type { SlackMessage } from './slack/block-kit.js';
import { SlackPacer, type SlackPace } from './slack/pacing.js';
import { SlackSender, type SlackSenderOptions } from './slack/slack-sender.js';
import type { TeamsMessage } from './teams/adaptive-card.js';
import { TeamsSender } from './teams/teams-sender.js';

/**
 * What an outlet returns, sent or printed: the downstream ids to keep with the effect, or the
 * dry-run reason of a notice local mode printed. An ActionRunResult, so an action returns it as is.
 */
export type Sent<Result extends EffectResult> = { result: Result; dryRun?: undefined } | { dryRun: string; result?: undefined };

/** The same outcome with more ids kept when it was sent (a printed notice has none). */
export function keeping<Result extends EffectResult, Extra extends EffectResult>(sent: Sent<Result>, extra: Extra): Sent<Result & Extra> {
  if (sent.dryRun !== undefined) return { dryRun: sent.dryRun };
  return { result: { ...sent.result, ...extra } };
}

/** Ids of a Slack message: its ts, the channel id Slack resolved (chat.update needs it). */
export type SlackMessageIds = { ts: string; channel: string };

const MISSING = {
  slack: `no Slack bot token is configured (set ${ENV.slackBotToken}, or the secret named by ${ENV.slackSecretId})`,
  teams: `no URL for this Teams webhook is configured (set ${ENV.teamsWebhookUrl} for "default", or add the name to the secret named by ${ENV.teamsSecretId})`,
};

/**
 * Outlets as every caller sets them up: Slack's API at `slackApiUrl` (the config's `slack.apiUrl`,
 * else Slack's), and a notice whose credential is missing printed with `print` (local mode) or
 * refused with a ConfigError (AWS, no `print`). `slack` and `slackPace` are tests' overrides.
 */
export function configuredOutlets(
  credentials: Credentials,
  options: {
    slackApiUrl?: string | undefined;
    print?: ((text: string) => void) | undefined;
    slack?: Omit<SlackSenderOptions, 'apiUrl'>;
    slackPace?: SlackPace;
  },
): Outlets {
  return new Outlets(credentials, {
    slack: { ...(options.slackApiUrl ? { apiUrl: options.slackApiUrl } : {}), ...options.slack },
    unsent: unsentOutlet(options.print),
    ...(options.slackPace ? { slackPace: options.slackPace } : {}),
  });
}

/**
 * Where notices go: Slack and Teams senders built from the credentials on first use (never at
 * import, so a cold start without Slack set up still handles Teams); a notice whose credential
 * is missing goes to the unsent outlet instead (printed in local mode, a ConfigError in AWS).
 * Every method answers with the same Sent result either way.
 */
export class Outlets {
  private slackSender: { token: string; sender: SlackSender } | undefined;
  private readonly teams: TeamsSender;
  private pacer: { state: StateStore; pacer: SlackPacer } | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly options: { slack?: SlackSenderOptions; teamsFetch?: typeof fetch; unsent: UnsentOutlet; slackPace?: SlackPace },
  ) {
    this.teams = new TeamsSender(options.teamsFetch ? { fetch: options.teamsFetch } : {});
  }

  /**
   * Paces chat.postMessage per channel through `state` (./slack/pacing.ts) from now on. The
   * worker's state store is the same for every delivery of a container; called per event.
   */
  pacedBy(state: StateStore): this {
    if (this.pacer?.state !== state) this.pacer = { state, pacer: new SlackPacer(state, this.options.slackPace) };
    return this;
  }

  private async slack(): Promise<SlackSender | undefined> {
    const token = await this.credentials.slackBotToken();
    if (!token) return undefined;
    // A rotated token (new secret value) gets a new client.
    if (this.slackSender?.token !== token) this.slackSender = { token, sender: new SlackSender(token, this.options.slack) };
    return this.slackSender.sender;
  }

  /** chat.postMessage; the result keeps `thread_ts` for a reply. */
  async slackPost(channel: string, message: SlackMessage, threadTs?: string): Promise<Sent<SlackMessageIds & { thread_ts?: string }>> {
    const sender = await this.slack();
    if (!sender)
      return this.unsent(`chat.postMessage to ${channel}${threadTs ? ` (thread ${threadTs})` : ''}`, MISSING.slack, slackMessageText(message), {
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...message,
      });
    await this.pacer?.pacer.take(channel);
    const posted = await sender.post(channel, message, threadTs);
    this.pacer?.pacer.learn(channel, posted.channel);
    return { result: { ts: posted.ts, channel: posted.channel, ...(threadTs ? { thread_ts: threadTs } : {}) } };
  }

  /** chat.update of the message `ts` in `channel`. */
  async slackUpdate(channel: string, ts: string, message: SlackMessage): Promise<Sent<SlackMessageIds>> {
    const sender = await this.slack();
    if (!sender) return this.unsent(`chat.update of ${ts} in ${channel}`, MISSING.slack, slackMessageText(message), { channel, ts, ...message });
    await sender.update(channel, ts, message);
    return { result: { ts, channel } };
  }

  /** POST to the named Workflows webhook; the result keeps the HTTP status. */
  async teamsPost(webhookName: string, message: TeamsMessage): Promise<Sent<{ status: string }>> {
    const urls = await this.credentials.teamsWebhooks();
    const url = urls[webhookName];
    if (!url) return this.unsent(`card to Teams webhook "${webhookName}"`, MISSING.teams, teamsMessageText(message), message);
    const sent = await this.teams.post(webhookName, url, message);
    return { result: { status: String(sent.status) } };
  }

  private unsent(what: string, missing: string, readable: string, body: unknown): { dryRun: string } {
    return this.options.unsent({
      printout: `── would send ${what} (not sent: ${missing})\n${readable}\n${JSON.stringify(body, null, 2)}\n`,
      dryRun: `printed, not sent: ${missing}`,
      error: `cannot send ${what}: ${missing}`,
    });
  }
}
