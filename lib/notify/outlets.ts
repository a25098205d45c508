import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import type { Credentials } from '../secrets/credentials.js';
import { slackMessageText, teamsMessageText } from './readable.js';
import type { SlackMessage } from './slack/block-kit.js';
import { SlackSender, type PostedMessage, type SlackSenderOptions } from './slack/slack-sender.js';
import type { TeamsMessage } from './teams/adaptive-card.js';
import { TeamsSender } from './teams/teams-sender.js';

/** A send that local mode printed instead of performing. */
export interface Printed {
  printed: true;
  reason: string;
}

export function isPrinted(value: unknown): value is Printed {
  return typeof value === 'object' && value !== null && (value as Printed).printed === true;
}

/**
 * Where notices go: Slack and Teams senders built from the credentials on first use (never at
 * import, so a cold start without Slack set up still handles Teams), or, in local mode with no
 * credentials, the console.
 */
export class Outlets {
  private slackSender: { token: string; sender: SlackSender } | undefined;
  private readonly teams: TeamsSender;

  constructor(
    private readonly credentials: Credentials,
    private readonly options: { slack?: SlackSenderOptions; teamsFetch?: typeof fetch; print?: (text: string) => void },
  ) {
    this.teams = new TeamsSender(options.teamsFetch ? { fetch: options.teamsFetch } : {});
  }

  private async slack(): Promise<SlackSender | undefined> {
    const token = await this.credentials.slackBotToken();
    if (!token) return undefined;
    // A rotated token (new secret value) gets a new client.
    if (this.slackSender?.token !== token) this.slackSender = { token, sender: new SlackSender(token, this.options.slack) };
    return this.slackSender.sender;
  }

  /** chat.postMessage, or a printout in local mode. */
  async slackPost(channel: string, message: SlackMessage, threadTs?: string): Promise<PostedMessage | Printed> {
    const sender = await this.slack();
    if (!sender)
      return this.printOrThrow('slack', `chat.postMessage to ${channel}${threadTs ? ` (thread ${threadTs})` : ''}`, slackMessageText(message), {
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...message,
      });
    return sender.post(channel, message, threadTs);
  }

  /** chat.update, or a printout in local mode. */
  async slackUpdate(channel: string, ts: string, message: SlackMessage): Promise<void | Printed> {
    const sender = await this.slack();
    if (!sender) return this.printOrThrow('slack', `chat.update of ${ts} in ${channel}`, slackMessageText(message), { channel, ts, ...message });
    return sender.update(channel, ts, message);
  }

  /** POST to the named Workflows webhook, or a printout in local mode. */
  async teamsPost(webhookName: string, message: TeamsMessage): Promise<{ status: number } | Printed> {
    const urls = await this.credentials.teamsWebhooks();
    const url = urls[webhookName];
    if (!url) return this.printOrThrow('teams', `card to Teams webhook "${webhookName}"`, teamsMessageText(message), message);
    return this.teams.post(webhookName, url, message);
  }

  private printOrThrow(kind: 'slack' | 'teams', what: string, readable: string, body: unknown): Printed {
    const missing =
      kind === 'slack'
        ? `no Slack bot token is configured (set ${ENV.slackBotToken}, or the secret named by ${ENV.slackSecretId})`
        : `no URL for this Teams webhook is configured (set ${ENV.teamsWebhookUrl} for "default", or add the name to the secret named by ${ENV.teamsSecretId})`;
    if (!this.options.print) throw new ConfigError(`cannot send ${what}: ${missing}`);
    this.options.print(`── would send ${what} (not sent: ${missing})\n${readable}\n${JSON.stringify(body, null, 2)}\n`);
    return { printed: true, reason: `printed, not sent: ${missing}` };
  }
}
