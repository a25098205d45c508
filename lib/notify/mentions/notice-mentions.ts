import type { GitLabAccess } from '../../gitlab/api.js';
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
    /** This delivery's GitLab access (with its time budget), used instead of the resolver's own. */
    private readonly gitlab?: GitLabAccess,
  ) {}

  /** The same mentions, reading GitLab through `gitlab` (one delivery's budgeted access). */
  withGitLab(gitlab: GitLabAccess | undefined): NoticeMentions {
    return gitlab ? new NoticeMentions(this.resolver, this.print, gitlab) : this;
  }

  async slack(person: ChatPerson, state: StateStore, projectWebUrl: string): Promise<Resolved<SlackMention>> {
    return this.resolver.slack(person, state, projectWebUrl, this.gitlab);
  }

  /**
   * Member ids of the people Slack resolves, by display name (what the formatters list). Looked
   * up in parallel: one after the other, a slow GitLab or Slack would cost each reviewer its
   * timeouts in turn.
   */
  async slackByName(people: readonly ChatPerson[], state: StateStore, projectWebUrl: string): Promise<Array<[ChatPerson, Resolved<SlackMention>]>> {
    return Promise.all(people.map(async (person): Promise<[ChatPerson, Resolved<SlackMention>]> => [person, await this.slack(person, state, projectWebUrl)]));
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
