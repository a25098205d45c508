import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownstreamUnavailable, describeError } from '../../lib/errors.js';
import { card, teamsMessage, textBlock } from '../../lib/notify/teams/adaptive-card.js';
import { TeamsSender } from '../../lib/notify/teams/teams-sender.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { TEAMS_TEST_SIGNATURE } from '../support/teams-server.js';
import { cardTexts, expectValidTeamsMessage } from './adaptive-card-validation.js';
import { NotifyHarness } from './harness.js';

/**
 * Teams notices end to end: the worker posts Adaptive Cards to a local Workflows webhook with
 * fetch. Every card is parsed and validated with the adaptivecards library.
 */
const harness = new NotifyHarness();
const route: RouteInput = { name: 'teams', projects: ['**'], teams: { webhook: 'ops' } };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 5000;
let nextId = 900;
/** Project part of pipeline keys, and the round of the example pipeline (its finished_at). */
const pk = () => `${projectId}@gitlab-org/gitlab-test`;
const ROUND = ':20160812152629';
beforeEach(() => {
  harness.teams.reset();
  harness.slack.reset();
  harness.configure({ routes: [route] });
  projectId += 1;
  nextId += 10;
});
const pipeline = (spec: PipelineSpec = {}) => pipelineEvent({ projectId, id: nextId, ...spec });

describe('Teams pipeline cards', () => {
  it('posts a valid Adaptive Card 1.5 with the failure facts; 202 with an empty body is success', async () => {
    const { record } = await harness.deliver(pipeline({ commitTitle: 'Fix the flaky booking test', duration: 75, mergeRequest: { iid: 3, title: 'Booking' } }));
    const posts = harness.teams.postsTo('ops');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.contentType).toBe('application/json');
    const content = expectValidTeamsMessage(posts[0]!.body, posts[0]!.raw);
    const texts = cardTexts(content);
    expect(texts[0]).toBe(`❌ Pipeline #${nextId} failed on master`);
    const base = 'http://192.168.64.1:3005/gitlab-org/gitlab-test';
    expect(texts).toEqual(
      expect.arrayContaining([
        'Project',
        `[gitlab\\-org/gitlab\\-test](${base})`.replace(/\\-/g, '-'),
        'Commit',
        `[Fix the flaky booking test](${base}/-/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2)`,
        'Duration',
        '1m 15s',
        'Source',
        'push',
        'Failed stages',
        'test',
        `[\\!3 Booking](${base}/-/merge_requests/3)`.replace('\\!', '!'),
        'View pipeline',
        `${base}/-/pipelines/${nextId}`,
      ]),
    );
    expect(texts.join('\n')).toMatch(new RegExp(`- \\[rspec\\]\\(${base}/-/jobs/\\d+\\) \\(test\\) — script failure`));
    expect(record.outcomes[0]).toMatchObject({
      key: `teams:ops:pipeline:${pk()}:${nextId}:failed${ROUND}`,
      kind: 'teams',
      target: 'ops',
      status: 'sent',
      result: { status: '202' },
    });
  });

  it('stays valid and under 28 KB with 200 failed jobs, a 10 kB commit title and hostile markdown', async () => {
    await harness.deliver(
      pipeline({
        commitTitle: `[click](https://evil.example) **bold** <at>everyone</at> ${'z'.repeat(10_000)}`,
        failedJobs: Array.from({ length: 200 }, (_, i) => ({ name: `[job ${i}](https://evil.example)_${'n'.repeat(300)}`, stage: 'test' })),
      }),
    );
    const post = harness.teams.postsTo('ops')[0]!;
    const content = expectValidTeamsMessage(post.body, post.raw);
    const text = cardTexts(content).join('\n');
    expect(text).not.toContain('[click](https://evil.example)');
    expect(text).toContain('\\[click\\](https://evil.example) \\*\\*bold\\*\\* \\<at\\>everyone\\</at\\>');
    // No unescaped `](` before the evil URL: it cannot render as a link.
    expect(text).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
    expect(text).not.toContain('z'.repeat(1000));
    expect(text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(10);
    expect(text).toContain(`…and 190 more: [see all failures](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${nextId}/failures)`);
  });

  it('announces a recovery as its own card naming the failure (no threads in Teams)', async () => {
    await harness.deliver(pipeline());
    const { record } = await harness.deliver(pipeline({ id: nextId + 1, status: 'success' }));
    const posts = harness.teams.postsTo('ops');
    expect(posts).toHaveLength(2);
    const content = expectValidTeamsMessage(posts[1]!.body);
    const texts = cardTexts(content);
    expect(texts[0]).toBe(`✅ Fixed: pipeline #${nextId + 1} passed on master`);
    expect(texts[1]).toContain(`[pipeline #${nextId}](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${nextId}) failed.`);
    expect(record.outcomes).toEqual([expect.objectContaining({ key: `teams:ops:pipeline:${pk()}:${nextId + 1}:recovered${ROUND}`, status: 'sent' })]);
  });

  it('posts valid passed cards when every pipeline notifies', async () => {
    harness.configure({ routes: [{ ...route, options: { notifyOnlyBrokenPipelines: false } }] });
    await harness.deliver(pipeline({ status: 'success', tag: true, ref: 'v1.2.0' }));
    harness.configure({ routes: [{ ...route, branches: 'all', options: { notifyOnlyBrokenPipelines: false } }] });
    await harness.deliver(pipeline({ status: 'success', tag: true, ref: 'v1.2.0' }));
    const posts = harness.teams.postsTo('ops');
    // `default` does not match a tag; `all` does.
    expect(posts).toHaveLength(1);
    const texts = cardTexts(expectValidTeamsMessage(posts[0]!.body));
    expect(texts[0]).toBe(`✅ Pipeline #${nextId} passed on v1.2.0`);
    expect(texts).toContain('Tag');
  });
});

describe('Teams merge request cards', () => {
  it.each([
    ['open', '🔀 Merge request opened'],
    ['approved', '✅ Merge request approved by Sidney Jones'],
    ['merge', '🟣 Merge request merged by Sidney Jones'],
    ['close', '🔴 Merge request closed by Sidney Jones'],
    ['reopen', '🔄 Merge request reopened by Sidney Jones'],
  ])('%s: one valid card per event', async (action, headline) => {
    const user = action === 'open' ? undefined : { id: 25, name: 'Sidney Jones', username: 'sjones' };
    const { record } = await harness.deliver(mergeRequestEvent({ action, iid: nextId, title: 'Add <b>validation</b> & tests', ...(user ? { user } : {}) }));
    const posts = harness.teams.postsTo('ops');
    expect(posts).toHaveLength(1);
    const texts = cardTexts(expectValidTeamsMessage(posts[0]!.body, posts[0]!.raw));
    expect(texts[0]).toBe(headline);
    expect(texts[1]).toBe(
      `[!${nextId} Add \\<b\\>validation\\</b\\> & tests](http://gitlab.example.com/flightjs/flight-management/-/merge_requests/${nextId})`,
    );
    expect(texts).toEqual(expect.arrayContaining(['Branches', 'feature/booking\\-validation → main'.replace('\\-', '-'), 'Reviewers', 'Sidney Jones']));
    expect(record.outcomes[0]?.key.startsWith(`teams:ops:mr:2@flightjs/flight-management:${nextId}:`)).toBe(true);
    expect(record.outcomes[0]?.status).toBe('sent');
  });
});

describe('Teams failures', () => {
  it('429: back on the queue after Retry-After', async () => {
    harness.teams.failNext({ status: 429, retryAfterSeconds: 30 });
    const { result, record } = await harness.deliver(pipeline());
    expect(result).toMatchObject({ kind: 'retry', retryAfterMs: 30_000 });
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: true, error: 'Teams webhook "ops" rate limited the post; retry after 30s' });
  });

  it('5xx: retried through the queue', async () => {
    harness.teams.failNext({ status: 502 });
    const { result, record } = await harness.deliver(pipeline());
    expect(result.kind).toBe('retry');
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: true, error: 'Teams webhook "ops" answered HTTP 502' });
  });

  it('4xx (flow deleted or turned off): recorded as refused, not retried, the URL and its signature nowhere', async () => {
    harness.teams.failNext({ status: 404, body: `{"error":{"code":"WorkflowNotFound","message":"no flow at ${harness.teams.webhookUrl('ops')}"}}` });
    const { result, record } = await harness.deliver(pipeline());
    expect(result).toMatchObject({ kind: 'finished', status: 'failed' });
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: false });
    expect(record.outcomes[0]?.error).toContain('Teams webhook "ops" answered HTTP 404');
    expect(record.outcomes[0]?.error).toContain('WorkflowNotFound');
    expect(JSON.stringify(record)).not.toContain(TEAMS_TEST_SIGNATURE);
    expect(JSON.stringify(harness.logs)).not.toContain(TEAMS_TEST_SIGNATURE);
  });

  it('a network failure is retried and does not reveal the URL', async () => {
    const closed = 'http://127.0.0.1:9/workflows/x/triggers/manual/paths/invoke?sig=' + TEAMS_TEST_SIGNATURE;
    const { config } = harness.configure({ routes: [route], teamsWebhooks: [] });
    // Point "ops" at a closed port by configuring credentials directly.
    const deps = harness.workerDeps;
    const { createNotifyPlanner } = await import('../../lib/notify/planner.js');
    deps.planners = [
      createNotifyPlanner({
        config,
        credentials: {
          slackBotToken: async () => undefined,
          teamsWebhooks: async () => ({ ops: closed }),
          jira: async () => undefined,
          gitlabApiToken: async () => undefined,
        },
      }),
    ];
    const { result, record } = await harness.deliver(pipeline());
    expect(result.kind).toBe('retry');
    expect(record.outcomes[0]?.error).toMatch(/^Teams webhook "ops" unreachable: /);
    expect(JSON.stringify(record)).not.toContain(TEAMS_TEST_SIGNATURE);
  });

  it('a dropped connection is unavailable and keeps fetch’s own error as cause; the record has the message only', async () => {
    harness.teams.failNext({ drop: true });
    const sender = new TeamsSender();
    const error = await sender.post('ops', harness.teams.webhookUrl('ops'), teamsMessage(card([textBlock('hello')]))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamUnavailable);
    expect(error).toMatchObject({ service: 'Teams', message: expect.stringMatching(/^Teams webhook "ops" unreachable: /) });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(describeError(error)).not.toContain(TEAMS_TEST_SIGNATURE);
  });

  it('a webhook name with no URL configured is a config error naming where to put it', async () => {
    harness.configure({ routes: [{ ...route, teams: { webhook: 'platform' } }] });
    const { result, record } = await harness.deliver(pipeline());
    expect(result).toMatchObject({ kind: 'finished', status: 'failed' });
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: false });
    expect(record.outcomes[0]?.error).toBe(
      'cannot send card to Teams webhook "platform": no URL for this Teams webhook is configured (set TEAMS_WEBHOOK_URL for "default", or add the name to the secret named by TEAMS_SECRET_ID)',
    );
  });
});

describe('Slack and Teams on one route', () => {
  it('each destination gets its notice and its own outcome', async () => {
    harness.configure({ routes: [{ name: 'both', slack: { channels: ['C0ONE', 'C0TWO'] }, teams: { webhooks: ['ops', 'default'] } }] });
    const { record } = await harness.deliver(pipeline());
    expect(harness.slack.messages.map((message) => message.channel)).toEqual(['C0ONE', 'C0TWO']);
    expect(harness.teams.posts.map((post) => post.webhook).sort()).toEqual(['default', 'ops']);
    expect(record.outcomes.map((outcome) => outcome.key)).toEqual([
      `slack:C0ONE:pipeline:${pk()}:${nextId}:failed${ROUND}`,
      `slack:C0TWO:pipeline:${pk()}:${nextId}:failed${ROUND}`,
      `teams:ops:pipeline:${pk()}:${nextId}:failed${ROUND}`,
      `teams:default:pipeline:${pk()}:${nextId}:failed${ROUND}`,
    ]);
  });

  it('two routes naming the same channel give it one notice', async () => {
    harness.configure({
      routes: [
        { name: 'feature-branches', projects: ['gitlab-org/*'], branches: ['feature/*'], slack: { channel: 'C0SAME' } },
        { name: 'everything', branches: 'all', slack: { channel: 'C0SAME' } },
      ],
    });
    const { record } = await harness.deliver(pipeline({ ref: 'feature/x' }));
    expect(harness.slack.messages).toHaveLength(1);
    expect(record.outcomes).toHaveLength(1);
  });
});
