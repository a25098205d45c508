import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteInput } from '../../lib/routing/schema.js';
import { mergeRequestEvent, type MergeRequestSpec } from '../fixtures/builders/merge-request.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { NotifyHarness } from './harness.js';

/**
 * Route options that keep events quiet by author, label and merge request target branch, end to
 * end: the worker on dynalite, the real Slack and Teams clients against the local stand-ins.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0FILTERS';
const OTHER = 'C0EVERYTHING';

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 14_000;
let nextId = 70_000;
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  projectId += 1;
  nextId += 10;
});

const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const configure = (...routes: RouteInput[]) => harness.configure({ routes });
const failed = (spec: PipelineSpec = {}) => pipelineEvent({ projectId, id: nextId, ...spec });
const mr = (spec: MergeRequestSpec = {}, labels?: string[]) => {
  const event = mergeRequestEvent({ projectId, iid: nextId, ...spec });
  return labels ? { ...event, labels: labels.map((title, index) => ({ id: index + 1, title, color: '#adb21a', type: 'ProjectLabel' })) } : event;
};
const bots: RouteInput = {
  name: 'no bots',
  events: ['pipeline'],
  slack: { channel: CHANNEL },
  options: { excludeAuthors: ['renovate-bot', 'dependabot*'] },
};

describe('excludeAuthors', () => {
  it('a pipeline run by an excluded username posts nothing; the delivery log says why', async () => {
    configure(bots);
    const { record } = await harness.deliver(failed({ user: { username: 'renovate-bot' } }));
    expect(posts()).toHaveLength(0);
    expect(record.status).toBe('done');
    expect(record.outcomes).toEqual([
      expect.objectContaining({
        kind: 'slack',
        target: CHANNEL,
        summary: `pipeline #${nextId} failed notice`,
        status: 'skipped',
        reason: 'author renovate-bot is excluded (excludeAuthors: renovate-bot, dependabot*)',
      }),
    ]);
  });

  it('a glob matches the commit author name, case-insensitively', async () => {
    configure(bots);
    const { record } = await harness.deliver(failed({ commitAuthor: 'DependaBot GitLab' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'author DependaBot GitLab is excluded (excludeAuthors: renovate-bot, dependabot*)' });
  });

  it('a pipeline by anyone else still posts', async () => {
    configure(bots);
    const { record } = await harness.deliver(failed({ user: { username: 'agarcia' } }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent', target: CHANNEL });
    expect(posts()).toHaveLength(1);
  });

  it('a route without the option is unchanged: the bot pipeline posts', async () => {
    configure({ events: ['pipeline'], slack: { channel: CHANNEL } });
    const { record } = await harness.deliver(failed({ user: { username: 'renovate-bot' } }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
    expect(posts()).toHaveLength(1);
  });

  it('filters per route: a channel another route sends to unfiltered still gets the notice, the Teams webhook of the filtering route does not', async () => {
    configure({ ...bots, teams: { webhook: 'ops' } }, { name: 'everything', events: ['pipeline'], slack: { channels: [CHANNEL, OTHER] } });
    const { record } = await harness.deliver(failed({ user: { username: 'renovate-bot' } }));
    const byTarget = Object.fromEntries(
      record.outcomes.filter((outcome) => outcome.summary.endsWith('failed notice')).map((outcome) => [outcome.target, outcome]),
    );
    expect(byTarget[CHANNEL]).toMatchObject({ status: 'sent' });
    expect(byTarget[OTHER]).toMatchObject({ status: 'sent' });
    expect(byTarget.ops).toMatchObject({ status: 'skipped', reason: 'author renovate-bot is excluded (excludeAuthors: renovate-bot, dependabot*)' });
    expect(posts().map((call) => call.params.channel)).toEqual(expect.arrayContaining([CHANNEL, OTHER]));
    expect(posts()).toHaveLength(2);
    expect(harness.teams.posts).toHaveLength(0);
  });

  it('a merge request opened by an excluded user posts nothing', async () => {
    configure({ events: ['merge_request'], slack: { channel: CHANNEL }, options: { excludeAuthors: ['renovate-bot'] } });
    const { record } = await harness.deliver(mr({ user: { id: 77, name: 'Renovate Bot', username: 'renovate-bot' } }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes).toEqual([
      expect.objectContaining({
        summary: `MR !${nextId} opened notice`,
        status: 'skipped',
        reason: 'author renovate-bot is excluded (excludeAuthors: renovate-bot)',
      }),
    ]);
  });
});

describe('labels and excludeLabels', () => {
  const labelled: RouteInput = { events: ['merge_request'], slack: { channel: CHANNEL }, options: { labels: ['backend', 'team::*'], excludeLabels: ['wip'] } };

  it('a merge request with any of the labels posts', async () => {
    configure(labelled);
    const { record } = await harness.deliver(mr({}, ['docs', 'Team::Payments']));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
    expect(posts()).toHaveLength(1);
  });

  it('a merge request with none of them is skipped with the reason', async () => {
    configure(labelled);
    const { record } = await harness.deliver(mr({}, ['docs']));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'labels docs: none of labels backend, team::*' });
  });

  it('an excluded label wins over a wanted one', async () => {
    configure(labelled);
    const { record } = await harness.deliver(mr({}, ['backend', 'WIP']));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'label WIP is excluded (excludeLabels: wip)' });
  });

  it('pipelines are not filtered by labels', async () => {
    configure({ ...labelled, events: ['pipeline'] });
    const { record } = await harness.deliver(failed({ mergeRequest: { iid: 3 }, ref: 'master' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
  });
});

describe('targetBranches', () => {
  const toMain: RouteInput = {
    events: ['pipeline', 'merge_request'],
    branches: 'all',
    slack: { channel: CHANNEL },
    options: { targetBranches: ['main', 'release/*'] },
  };

  it('a merge request targeting a watched branch posts, one targeting another is skipped', async () => {
    configure(toMain);
    const watched = await harness.deliver(mr({ targetBranch: 'release/2.0' }));
    nextId += 1;
    const other = await harness.deliver(mr({ targetBranch: 'develop' }));
    expect(watched.record.outcomes[0]).toMatchObject({ status: 'sent' });
    expect(other.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'target branch develop is not watched (targetBranches: main, release/*)' });
    expect(posts()).toHaveLength(1);
  });

  it('a merge request pipeline is filtered by its merge request target branch', async () => {
    configure(toMain);
    const event = failed({ mergeRequest: { iid: 5 }, ref: 'feature/x' });
    const toDevelop = { ...event, merge_request: { ...(event.merge_request as Record<string, unknown>), target_branch: 'develop' } };
    const { record } = await harness.deliver(toDevelop);
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({
      summary: `pipeline #${nextId} failed notice`,
      status: 'skipped',
      reason: 'target branch develop is not watched (targetBranches: main, release/*)',
    });
    nextId += 1;
    const toRelease = { ...failed({ mergeRequest: { iid: 6 }, ref: 'feature/y' }) };
    toRelease.merge_request = { ...(toRelease.merge_request as Record<string, unknown>), target_branch: 'release/1' };
    expect((await harness.deliver(toRelease)).record.outcomes[0]).toMatchObject({ status: 'sent' });
  });

  it('branch pipelines are not filtered by it', async () => {
    configure(toMain);
    const { record } = await harness.deliver(failed({ ref: 'feature/z' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
  });
});
