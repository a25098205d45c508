import type { StateStore } from '../../state/store.js';
import type { ChatPerson, MentionResolver, Resolved, SlackMention, TeamsMention } from './resolver.js';

/**
 * Mentions as the notice actions use them: resolved at send time (never while planning, so a
 * replay that sends nothing looks nothing up), and, in local mode, a "would mention" line
 * printed beside a notice that was printed instead of sent.
 */
export class NoticeMentions {
  constructor(
    readonly resolver: MentionResolver,
    private readonly print?: (text: string) => void,
  ) {}

  async slack(person: ChatPerson, state: StateStore, projectWebUrl: string): Promise<Resolved<SlackMention>> {
    return this.resolver.slack(person, state, projectWebUrl);
  }

  /** Member ids of the people Slack resolves, by display name (what the formatters list). */
  async slackByName(people: readonly ChatPerson[], state: StateStore, projectWebUrl: string): Promise<Array<[ChatPerson, Resolved<SlackMention>]>> {
    const resolved: Array<[ChatPerson, Resolved<SlackMention>]> = [];
    for (const person of people) resolved.push([person, await this.resolver.slack(person, state, projectWebUrl)]);
    return resolved;
  }

  teams(person: ChatPerson): Resolved<TeamsMention> {
    return this.resolver.teams(person);
  }

  /** Local mode: one line per person the printed notice would have mentioned (names and Slack ids only: a Teams UPN is often an email). */
  printWould(where: string, resolved: ReadonlyArray<readonly [ChatPerson, Resolved<SlackMention | TeamsMention>]>): void {
    if (!this.print) return;
    for (const [person, outcome] of resolved) {
      const who = `the ${person.role} ${person.name ?? person.username ?? '(unnamed)'}${person.username ? ` (@${person.username})` : ''}`;
      const how = outcome.mention
        ? `as ${'via' in outcome.mention ? `<@${outcome.mention.id}> (${outcome.mention.via})` : 'their Teams user (people map)'}`
        : `— not resolved: ${outcome.none}`;
      this.print(`── would mention ${who} in ${where} ${how}\n`);
    }
  }
}
