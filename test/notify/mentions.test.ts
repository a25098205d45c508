import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitLabAccess, GitLabApi, GitLabUser } from '../../lib/gitlab/api.js';
import { emailHash } from '../../lib/notify/mentions/resolver.js';
import { parseConfig } from '../../lib/config/load.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { cardTexts, expectValidTeamsMessage } from './adaptive-card-validation.js';
import { NotifyHarness } from './harness.js';
import { startFakeGitLab } from '../support/gitlab-server.js';

/**
 * Mentions (issue 11 §4), end to end: the worker on dynalite, the real Slack WebClient against
 * the Slack stand-in (chat.postMessage and users.lookupByEmail), the Teams stand-in, and GitLab's
 * API as a table behind the GitLabAccess interface.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0MENTIONS';
// storm: false: this file posts more than 5 failures to one channel within 2 minutes, and folding
// (on by default, issue 14; test/notify/storm.test.ts) is not what it tests.
const route: RouteInput = { projects: ['**'], events: ['pipeline', 'merge_request'], slack: { channel: CHANNEL }, options: { storm: false } };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 5000;
let nextId = 9000;
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  harness.logs.length = 0;
  projectId += 1;
});
// Each failure in a project of its own: a second failure on the same ref would be a reply in the
// first one's thread (its red streak), and these tests read the top-level notice's Author field.
const pipeline = (spec: PipelineSpec = {}) => pipelineEvent({ projectId: (projectId += 1), id: (nextId += 10), ...spec });
/** A commit email no other test uses, so the state store's cache starts empty for it. */
let emailSeq = 0;
const freshEmail = () => `dev${(emailSeq += 1)}.${projectId}@example.com`;

/** Top-level posts: the notices (log excerpts, when a GitLab API is wired, are replies in their threads). */
const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage' && call.params.thread_ts === undefined);
const authorField = (index = 0) => {
  const body = JSON.stringify(posts()[index]!.params.blocks);
  return /\*Author\*\\n([^"]*)"/.exec(body)?.[1];
};

/** GitLab's `GET /users/:id` answered from a table; `unavailable` as when no token is set. */
function gitlabTable(users: Record<number, GitLabUser>, options: { unavailable?: string } = {}): GitLabAccess & { userCalls: number[] } {
  const userCalls: number[] = [];
  const api: GitLabApi = {
    jobTrace: async () => '',
    user: async (id) => {
      userCalls.push(id);
      const user = users[id];
      if (!user) throw new Error(`404 user ${id}`);
      return user;
    },
  };
  return {
    userCalls,
    forProject: async () => (options.unavailable ? { unavailable: options.unavailable } : { api }),
  };
}

describe('the commit author in a Slack failure notice', () => {
  it('is mentioned from the people map by GitLab username (the pipeline user whose name matches), with no lookup', async () => {
    harness.configure({ routes: [route], people: { root: { slack: 'U0ROOT' } } });
    const { record } = await harness.deliver(pipeline({ commitAuthor: 'Administrator', commitAuthorEmail: '[REDACTED]' }));
    expect(record.status).toBe('done');
    expect(authorField()).toBe('<@U0ROOT>');
    expect(harness.slack.lookups()).toHaveLength(0);
  });

  it('is mentioned from the people map by the email an entry lists', async () => {
    const email = freshEmail();
    harness.configure({ routes: [route], people: { alex: { slack: 'U0ALEXMAP', email } } });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    expect(authorField()).toBe('<@U0ALEXMAP>');
    expect(harness.slack.lookups()).toHaveLength(0);
  });

  it('is looked up by email in Slack once: the second notice uses the cached member, and no email is stored or logged', async () => {
    const email = freshEmail();
    harness.slack.addUser(email.toUpperCase(), 'U0ALEX');
    harness.configure({ routes: [route] });
    const first = await harness.deliver(pipeline({ commitAuthorEmail: email }));
    const second = await harness.deliver(pipeline({ commitAuthorEmail: email }));
    expect(posts()).toHaveLength(2);
    expect(authorField(0)).toBe('<@U0ALEX>');
    expect(authorField(1)).toBe('<@U0ALEX>');
    expect(harness.slack.lookups()).toHaveLength(1);
    expect(harness.slack.lookups()[0]!.authorization).toBe(`Bearer ${harness.slack.token}`);
    expect(harness.slack.lookups()[0]!.params.email).toBe(email);
    expect(await harness.state.get(`mention:slack:email:${emailHash(email)}`)).toEqual({ id: 'U0ALEX' });
    for (const { record } of [first, second]) expect(JSON.stringify(record.outcomes)).not.toContain(email);
    expect(JSON.stringify(harness.logs)).not.toContain(email);
  });

  it('reads the mention cache eventually consistent: half a read unit a look', async () => {
    const email = freshEmail();
    harness.slack.addUser(email, 'U0HALF');
    harness.configure({ routes: [route] });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    const reads = harness.stateUnits.filter((entry) => entry.operation === 'get' && entry.key === `mention:slack:email:${emailHash(email)}`);
    // The first notice's read finds nothing (DynamoDB bills 0.5 all the same), the second's the member.
    expect(reads.map((entry) => entry.units)).toEqual([0.5, 0.5]);
    expect(authorField(1)).toBe('<@U0HALF>');
  });

  it('a redacted email and an author who is not the pipeline user: no mention, no lookup, no error', async () => {
    harness.configure({ routes: [route] });
    const { record } = await harness.deliver(pipeline({ commitAuthorEmail: '[REDACTED]' }));
    expect(record.status).toBe('done');
    expect(authorField()).toBe('Alex Garcia');
    expect(harness.slack.lookups()).toHaveLength(0);
  });

  it('an unknown email is a cached miss: the name is shown, and the next notice does not ask again', async () => {
    harness.configure({ routes: [route] });
    const email = freshEmail();
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    expect(authorField(1)).toBe('Alex Garcia');
    expect(harness.slack.lookups()).toHaveLength(1);
    expect(await harness.state.get(`mention:slack:email:${emailHash(email)}`)).toEqual({});
  });

  for (const [label, failure] of [
    ['answers HTTP 500', { status: 500 as const }],
    ['drops the connection', { drop: true as const }],
    // Past the lookup's 3 s timeout (LOOKUP_TIMEOUT_MS).
    ['does not answer', { stallMs: 4_000 }],
  ] as const) {
    it(`Slack's lookup ${label}: the notice goes out without the mention, and the next one asks again`, async () => {
      const email = freshEmail();
      harness.slack.addUser(email, 'U0LATER');
      harness.slack.failNext('users.lookupByEmail', failure);
      harness.configure({ routes: [route] });
      const { record } = await harness.deliver(pipeline({ commitAuthorEmail: email }));
      expect(record.status).toBe('done');
      expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
      expect(authorField()).toBe('Alex Garcia');
      expect(harness.logs.some((log) => log.level === 'warn' && log.message.startsWith('mention lookup failed'))).toBe(true);
      expect(JSON.stringify(harness.logs)).not.toContain(email);

      await harness.deliver(pipeline({ commitAuthorEmail: email }));
      expect(authorField(1)).toBe('<@U0LATER>');
      expect(harness.slack.lookups()).toHaveLength(2);
    });
  }

  it('missing_scope (no users:read.email): no mention, one log line naming the scope, a cached miss', async () => {
    const email = freshEmail();
    harness.slack.addUser(email, 'U0NOSCOPE');
    harness.slack.failNext('users.lookupByEmail', { error: 'missing_scope' });
    harness.configure({ routes: [route] });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    expect(authorField(0)).toBe('Alex Garcia');
    expect(authorField(1)).toBe('Alex Garcia');
    expect(harness.slack.lookups()).toHaveLength(1);
    expect(harness.logs.filter((log) => log.message.includes('users:read.email'))).toHaveLength(1);
  });

  it("falls back to the GitLab user's public_email when the commit email is redacted", async () => {
    const publicEmail = freshEmail();
    harness.slack.addUser(publicEmail, 'U0PUBLIC');
    const gitlab = gitlabTable({ 77: { id: 77, username: 'alex', public_email: publicEmail } });
    harness.configure({ routes: [route], gitlab });
    const user = { id: 77, username: 'alex', name: 'Alex Garcia', email: '[REDACTED]' };
    await harness.deliver(pipeline({ commitAuthorEmail: '[REDACTED]', user }));
    await harness.deliver(pipeline({ commitAuthorEmail: '[REDACTED]', user }));
    expect(authorField(0)).toBe('<@U0PUBLIC>');
    expect(authorField(1)).toBe('<@U0PUBLIC>');
    expect(gitlab.userCalls).toEqual([77]);
    expect(harness.slack.lookups()).toHaveLength(1);
  });

  it('GitLab unavailable (no API token): no mention, the notice is sent', async () => {
    const gitlab = gitlabTable({}, { unavailable: 'no GitLab API token is configured' });
    harness.configure({ routes: [route], gitlab });
    const { record } = await harness.deliver(pipeline({ commitAuthorEmail: '[REDACTED]', user: { id: 78, username: 'alex', name: 'Alex Garcia' } }));
    expect(record.status).toBe('done');
    expect(authorField()).toBe('Alex Garcia');
  });

  it('mentionAuthors: false turns mentions off: no lookup, the name only', async () => {
    harness.configure({ routes: [{ ...route, options: { mentionAuthors: false, storm: false } }], people: { root: { slack: 'U0ROOT' } } });
    const email = freshEmail();
    harness.slack.addUser(email, 'U0OFF');
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    await harness.deliver(pipeline({ commitAuthor: 'Administrator' }));
    expect(authorField(0)).toBe('Alex Garcia');
    expect(authorField(1)).toBe('Administrator');
    expect(harness.slack.lookups()).toHaveLength(0);
  });

  it('a replay posts nothing new and looks nobody up', async () => {
    const email = freshEmail();
    harness.slack.addUser(email, 'U0REPLAY');
    harness.configure({ routes: [route] });
    const { id } = await harness.deliver(pipeline({ commitAuthorEmail: email }));
    const result = await harness.run(id, { replay: true });
    expect(result).toMatchObject({ kind: 'finished' });
    expect(posts()).toHaveLength(1);
    expect(harness.slack.lookups()).toHaveLength(1);
  });

  it('local mode (no Slack token) prints a "would mention" line beside the printed notice, without the email', async () => {
    const printed: string[] = [];
    const email = freshEmail();
    harness.configure({ routes: [route], slackToken: null, print: (text) => printed.push(text), people: { alex: { slack: 'U0LOCAL', email } } });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    harness.configure({ routes: [route], slackToken: null, print: (text) => printed.push(text) });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    const lines = printed.filter((text) => text.startsWith('── would mention'));
    expect(lines).toEqual([
      `── would mention the commit author Alex Garcia in ${CHANNEL} as <@U0LOCAL> (people map)\n`,
      `── would mention the commit author Alex Garcia in ${CHANNEL} — not resolved: not in the "people" map, and no Slack bot token to look them up by email\n`,
    ]);
    expect(printed.join('')).not.toContain(email);
    expect(harness.slack.calls).toHaveLength(0);
  });
});

describe('reviewers in the merge request parent message', () => {
  it('are mentioned where resolvable, by name otherwise', async () => {
    harness.configure({ routes: [route], people: { sidneyjones: { slack: 'U0SIDNEY' } } });
    await harness.deliver(mergeRequestEvent({ projectId, iid: 3, reviewers: ['Sidney Jones', 'Pat <Doe>'] }));
    expect(posts()).toHaveLength(1);
    expect(JSON.stringify(posts()[0]!.params.blocks)).toContain('*Reviewers*\\n<@U0SIDNEY>, Pat &lt;Doe&gt;');
  });

  it('are looked up in GitLab in parallel, not one after the other (over HTTP to the GitLab stand-in)', async () => {
    const token = 'glpat-reviewers00000000000';
    const gitlab = await startFakeGitLab({ maintainerTokens: [token] });
    try {
      const names = ['Sidney Jones', 'Pat Doe', 'Kim Lee'];
      names.forEach((name, index) => {
        const email = `${name.toLowerCase().replace(' ', '.')}.${projectId}@example.com`;
        gitlab.users.set(25 + index, { id: 25 + index, username: name.toLowerCase().replace(' ', ''), public_email: email });
        harness.slack.addUser(email, `U0REV${index}`);
      });
      gitlab.userDelayMs = 150;
      harness.configure({ routes: [route], gitlab: { url: gitlab.url, token } });
      await harness.deliver(mergeRequestEvent({ projectId, iid: 5, reviewers: names }));
      expect(JSON.stringify(posts()[0]!.params.blocks)).toContain('*Reviewers*\\n<@U0REV0>, <@U0REV1>, <@U0REV2>');
      expect(gitlab.requestsTo('GET', /^\/api\/v4\/users\/\d+$/)).toHaveLength(3);
      expect(gitlab.maxUsersInFlight).toBe(3);
    } finally {
      await gitlab.stop();
    }
  });

  it('are not mentioned with mentionAuthors: false', async () => {
    harness.configure({ routes: [{ ...route, options: { mentionAuthors: false, storm: false } }], people: { sidneyjones: { slack: 'U0SIDNEY' } } });
    await harness.deliver(mergeRequestEvent({ projectId, iid: 4 }));
    expect(JSON.stringify(posts()[0]!.params.blocks)).toContain('*Reviewers*\\nSidney Jones');
  });
});

describe('the commit author in a Teams failure card', () => {
  it('is an Adaptive Card mention (<at>…</at> with msteams.entities) from the people map, and the card validates', async () => {
    const email = freshEmail();
    harness.configure({
      routes: [{ projects: ['**'], events: ['pipeline'], teams: { webhook: 'default' } }],
      people: { alex: { teams: 'alex@contoso.example', email } },
    });
    await harness.deliver(pipeline({ commitAuthorEmail: email }));
    expect(harness.teams.posts).toHaveLength(1);
    const content = expectValidTeamsMessage(harness.teams.posts[0]!.body, harness.teams.posts[0]!.raw);
    expect(cardTexts(content)).toContain('cc <at>Alex Garcia</at> (commit author)');
    expect(content.msteams).toEqual({
      width: 'Full',
      entities: [{ type: 'mention', text: '<at>Alex Garcia</at>', mentioned: { id: 'alex@contoso.example', name: 'Alex Garcia' } }],
    });
  });

  it('without a people entry the card has no mention', async () => {
    harness.configure({ routes: [{ projects: ['**'], events: ['pipeline'], teams: { webhook: 'default' } }] });
    await harness.deliver(pipeline());
    const content = expectValidTeamsMessage(harness.teams.posts[0]!.body);
    expect(content.msteams).toEqual({ width: 'Full' });
  });
});

describe('the people map in bridge.config.json', () => {
  it('takes GitLab usernames with a Slack member id, a Teams user and an email', () => {
    const config = parseConfig({ people: { 'alex.garcia': { slack: 'U0123ABCD', teams: 'alex@contoso.example', email: 'alex@example.com' } } }, 'test');
    expect(config.people?.['alex.garcia']?.slack).toBe('U0123ABCD');
  });

  it.each([
    [{ alex: { slack: '@alex' } }, 'people.alex.slack'],
    [{ alex: { email: 'not-an-email' } }, 'people.alex.email'],
    [{ alex: { slack: 'U0123ABCD', phone: '1' } }, 'phone'],
    [{ '@alex': { slack: 'U0123ABCD' } }, 'people'],
  ])('refuses %j, naming %s', (people, named) => {
    expect(() => parseConfig({ people }, 'bridge.config.json')).toThrow(named);
  });
});
