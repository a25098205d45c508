import { createHash } from 'node:crypto';
import type { GitLabAccess } from '../../gitlab/api.js';
import type { BridgeLogger } from '../../logger.js';
import type { StateStore } from '../../state/store.js';
import type { People, Person } from './people.js';
import type { SlackUserLookup } from './slack-user-lookup.js';

/** Someone a notice is about, as the payload names them. `email` is never logged or stored. */
export interface ChatPerson {
  /** For the delivery log and local printouts: `commit author`, `reviewer`. */
  role: string;
  name?: string;
  username?: string;
  /** GitLab user id, for `GET /users/:id` (public_email). */
  userId?: number;
  email?: string;
}

export type SlackMention = { id: string; via: string };
export type TeamsMention = { id: string; name: string };
/** A mention, or why there is none (for the local printout and the log; never an email). */
export type Resolved<Mention> = { mention: Mention; none?: undefined } | { none: string; mention?: undefined };

/** Cache lifetimes (issue 11 §4): a found member for a day, a miss for an hour (people join Slack). */
export const MENTION_CACHE = { hitSeconds: 24 * 3600, missSeconds: 3600 } as const;
/** The cache is read eventually consistent (half the read units): an entry written a moment ago may read as absent, and Slack is asked again. */
const CACHE_READ = { consistent: false };

/** At most this many reviewers are looked up per merge request message. */
export const MAX_MENTIONED_REVIEWERS = 10;

export interface MentionResolverDeps {
  people?: People;
  /** A Slack lookup with the current bot token, or undefined without one. */
  slackLookup: () => Promise<SlackUserLookup | undefined>;
  gitlab?: GitLabAccess;
  log?: BridgeLogger;
}

/** GitLab shows `[REDACTED]` (or nothing) for emails a webhook may not reveal. */
export function usableEmail(email: string | null | undefined): string | undefined {
  const trimmed = email?.trim();
  return trimmed && trimmed !== '[REDACTED]' && /^[^\s@]+@[^\s@]+$/.test(trimmed) ? trimmed : undefined;
}

/** State key part for an email: its sha256, so no address is stored. */
export function emailHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/**
 * Who to mention, in order: the `people` map of the config (by GitLab username, or by the email
 * an entry lists); Slack's users.lookupByEmail on the commit author's email; GitLab's
 * `public_email` of the user id, then looked up in Slack the same way. Lookups are cached in
 * the state store (a hit 24 h, a miss 1 h). A lookup that fails (Slack or GitLab down, slow,
 * refusing) gives no mention and one log line: it never fails the notice.
 */
export class MentionResolver {
  private missingScopeLogged = false;

  constructor(private readonly deps: MentionResolverDeps) {}

  private entry(person: ChatPerson): Person | undefined {
    const people = this.deps.people ?? {};
    if (person.username && Object.hasOwn(people, person.username)) return people[person.username];
    const email = usableEmail(person.email)?.toLowerCase();
    if (!email) return undefined;
    return Object.values(people).find((candidate) => candidate.email?.toLowerCase() === email);
  }

  /** The person's Slack member id, or why there is none. Never throws. */
  async slack(
    person: ChatPerson,
    state: StateStore,
    projectWebUrl: string,
    gitlab: GitLabAccess | undefined = this.deps.gitlab,
  ): Promise<Resolved<SlackMention>> {
    try {
      return await this.resolveSlack(person, state, projectWebUrl, gitlab);
    } catch (error) {
      this.deps.log?.warn('mention lookup failed; the notice goes without it', { role: person.role, error: describe(error) });
      return { none: `lookup failed (${describe(error)})` };
    }
  }

  /** The person's Teams user, from the people map only. */
  teams(person: ChatPerson): Resolved<TeamsMention> {
    const entry = this.entry(person);
    if (!entry?.teams) return { none: 'not in the "people" map with a "teams" user' };
    return { mention: { id: entry.teams, name: person.name ?? person.username ?? entry.teams } };
  }

  private async resolveSlack(person: ChatPerson, state: StateStore, projectWebUrl: string, gitlab: GitLabAccess | undefined): Promise<Resolved<SlackMention>> {
    const entry = this.entry(person);
    if (entry?.slack) return { mention: { id: entry.slack, via: 'people map' } };
    const lookup = await this.deps.slackLookup();
    if (!lookup) return { none: 'not in the "people" map, and no Slack bot token to look them up by email' };
    const emails = [...new Set([usableEmail(person.email), usableEmail(entry?.email)].filter((email): email is string => email !== undefined))];
    for (const email of emails) {
      const id = await this.byEmail(lookup, email, state);
      if (id) return { mention: { id, via: 'Slack lookup by email' } };
    }
    if (person.userId !== undefined && gitlab) {
      const id = await this.byGitLabUser(lookup, person.userId, state, projectWebUrl, gitlab);
      if (id) return { mention: { id, via: 'GitLab public email' } };
    }
    return { none: emails.length > 0 || person.userId !== undefined ? 'no Slack member found' : 'the payload shows no email (redacted) and no user id' };
  }

  private async byEmail(lookup: SlackUserLookup, email: string, state: StateStore): Promise<string | undefined> {
    const key = `mention:slack:email:${emailHash(email)}`;
    const cached = await state.get<{ id?: string }>(key, CACHE_READ);
    if (cached) return cached.id;
    const answer = await lookup.lookupByEmail(email);
    if ('id' in answer) {
      await state.put(key, { id: answer.id }, { ttlSeconds: MENTION_CACHE.hitSeconds });
      return answer.id;
    }
    if ('missingScope' in answer && !this.missingScopeLogged) {
      this.missingScopeLogged = true;
      this.deps.log?.warn('Slack refused users.lookupByEmail (missing_scope): add the users:read.email scope to the Slack app for mentions');
    }
    await state.put(key, {}, { ttlSeconds: MENTION_CACHE.missSeconds });
    return undefined;
  }

  private async byGitLabUser(
    lookup: SlackUserLookup,
    userId: number,
    state: StateStore,
    projectWebUrl: string,
    gitlab: GitLabAccess,
  ): Promise<string | undefined> {
    const origin = safeOrigin(projectWebUrl);
    const key = `mention:slack:gitlab-user:${origin}:${userId}`;
    const cached = await state.get<{ id?: string }>(key, CACHE_READ);
    if (cached) return cached.id;
    const access = await gitlab.forProject(projectWebUrl);
    if (!access.api) return undefined;
    const email = usableEmail((await access.api.user(userId)).public_email);
    const id = email ? await this.byEmail(lookup, email, state) : undefined;
    await state.put(key, id ? { id } : {}, { ttlSeconds: id ? MENTION_CACHE.hitSeconds : MENTION_CACHE.missSeconds });
    return id;
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'unknown';
  }
}

/** An error for the log: its name and message, which for Slack and GitLab errors name no email. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name}: ${code}` : error.name;
}
