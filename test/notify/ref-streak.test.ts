import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteInput } from '../../lib/routing/schema.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { cardTexts, expectValidTeamsMessage } from './adaptive-card-validation.js';
import { NotifyHarness } from './harness.js';
import { expectWithinSlackLimits } from './slack-limits.js';

/**
 * A ref's red streak (issue 11 §3): the first failure is a top-level "new failure" notice, later
 * failures reply in its thread while the parent counts them, the recovery closes the thread.
 * End to end through the worker on dynalite, the Slack and Teams stand-ins.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0STREAK';
const BASE = 'http://192.168.64.1:3005/gitlab-org/gitlab-test';
// storm: false: this file posts more than 5 failures to one channel within 2 minutes, and folding
// (on by default, issue 14; test/notify/storm.test.ts) is not what it tests.
const slackRoute: RouteInput = {
  name: 'ci',
  projects: ['gitlab-org/*'],
  events: ['pipeline'],
  branches: 'all',
  slack: { channel: CHANNEL },
  options: { storm: false },
};
const teamsRoute: RouteInput = { name: 'ci-teams', projects: ['gitlab-org/*'], events: ['pipeline'], branches: 'all', teams: { webhook: 'ops' } };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 9000;
let first = 40_000;
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  harness.configure({ routes: [slackRoute] });
  projectId += 1;
  first += 100;
});
const pipeline = (spec: PipelineSpec = {}) => pipelineEvent({ projectId, ref: 'master', ...spec });
const failed = (id: number, spec: PipelineSpec = {}) => pipeline({ id, ...spec });
const passed = (id: number, spec: PipelineSpec = {}) => pipeline({ id, status: 'success', ...spec });
const pk = () => `${projectId}@gitlab-org/gitlab-test`;
const ROUND = ':20160812152629';

const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const updates = () => harness.slack.calls.filter((call) => call.method === 'chat.update');
const wire = (value: unknown) => JSON.stringify(value);
const topLevel = () => harness.slack.channelMessages(CHANNEL);

describe('Slack: one parent per red streak', () => {
  it('fail → fail → fail → pass: one top-level notice, failures and recovery in its thread, the parent counting them', async () => {
    const one = await harness.deliver(failed(first));
    expect(topLevel()).toHaveLength(1);
    const parent = topLevel()[0]!;
    expect(wire(parent.blocks)).toContain(':new: New failure: no earlier result is known for branch master.');

    const two = await harness.deliver(failed(first + 1, { commitTitle: 'Try again' }));
    expect(topLevel()).toHaveLength(1);
    const replies = harness.slack.replies(parent.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toBe(`Still failing: pipeline #${first + 1} in gitlab-org/gitlab-test on branch master (2 pipelines since #${first})`);
    expect(wire(replies[0]!.blocks)).toContain(
      `failed again on branch <${BASE}/-/tree/master|master>: still failing since <${BASE}/-/pipelines/${first}|#${first}> (2 pipelines).`,
    );
    expect(wire(replies[0]!.blocks)).toContain('|rspec> (test)');
    expect(wire(parent.blocks)).toContain(`:repeat: Failing for 2 pipelines since <${BASE}/-/pipelines/${first}|#${first}> (2016-08-12 15:26:29 UTC)`);
    expect(parent.text).toContain(`Failed: pipeline #${first}`);
    expect(two.record.outcomes.map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`slack:${CHANNEL}:pipeline:${pk()}:${first + 1}:failed${ROUND}`, 'sent'],
      [`slack:${CHANNEL}:pipeline:${pk()}:${first}:still-failing:${first + 1}${ROUND}`, 'sent'],
    ]);
    expect(two.record.outcomes[0]?.result).toMatchObject({ thread_ts: parent.ts });

    const three = await harness.deliver(failed(first + 2));
    expect(topLevel()).toHaveLength(1);
    expect(harness.slack.replies(parent.ts)).toHaveLength(2);
    expect(wire(parent.blocks)).toContain('Failing for 3 pipelines since');
    expect(updates()).toHaveLength(2);

    const green = await harness.deliver(passed(first + 3, { commitTitle: 'Really fix it', commitAuthor: 'Sam Lee' }));
    const thread = harness.slack.replies(parent.ts);
    expect(thread).toHaveLength(3);
    expect(thread[2]!.text).toContain(`Fixed: pipeline #${first + 3} passed`);
    expect(wire(thread[2]!.blocks)).toContain('Really fix it');
    expect(wire(thread[2]!.blocks)).toContain('Sam Lee');
    expect(parent.text).toContain(`Fixed: pipeline #${first} in gitlab-org/gitlab-test`);
    expect(wire(parent.blocks)).toContain(`Fixed by <${BASE}/-/pipelines/${first + 3}|pipeline #${first + 3}> · Had been failing for 3 pipelines since`);
    expect(topLevel()).toHaveLength(1);
    for (const message of harness.slack.messages) expectWithinSlackLimits(message as unknown as Record<string, unknown>);

    // Replays of every delivery post and update nothing.
    const before = harness.slack.calls.length;
    for (const { id } of [one, two, three, green]) await harness.run(id, { replay: true });
    expect(harness.slack.calls.length).toBe(before);

    // The streak is over: the next failure is new again, top-level.
    await harness.deliver(failed(first + 4));
    expect(topLevel()).toHaveLength(2);
    expect(wire(topLevel()[1]!.blocks)).toContain(':new: New failure: the last finished pipeline on branch master had passed.');
  });

  it('two refs keep their own streaks', async () => {
    await harness.deliver(failed(first, { ref: 'master' }));
    await harness.deliver(failed(first + 1, { ref: 'develop' }));
    expect(topLevel()).toHaveLength(2);
    const [master, develop] = topLevel();
    await harness.deliver(failed(first + 2, { ref: 'develop' }));
    await harness.deliver(failed(first + 3, { ref: 'master' }));
    expect(topLevel()).toHaveLength(2);
    expect(harness.slack.replies(develop!.ts).map((reply) => reply.text)).toEqual([
      expect.stringContaining(`#${first + 2} in gitlab-org/gitlab-test on branch develop (2 pipelines since #${first + 1})`),
    ]);
    expect(harness.slack.replies(master!.ts).map((reply) => reply.text)).toEqual([expect.stringContaining(`(2 pipelines since #${first})`)]);

    await harness.deliver(passed(first + 4, { ref: 'develop' }));
    expect(harness.slack.replies(develop!.ts)).toHaveLength(2);
    expect(harness.slack.replies(master!.ts)).toHaveLength(1);
    expect(wire(master!.blocks)).not.toContain('Fixed by');
  });

  it('two failures of a fresh ref processed at once: one parent, the other in its thread, the parent counting both', async () => {
    const ids = await Promise.all([failed(first), failed(first + 1)].map((payload) => harness.storeDelivery(payload)));
    await Promise.all(ids.map((id) => harness.run(id)));
    const records = await Promise.all(ids.map(async (id) => (await harness.store.get(id))!));
    expect(records.map((record) => record.status)).toEqual(['done', 'done']);
    expect(topLevel()).toHaveLength(1);
    expect(harness.slack.replies(topLevel()[0]!.ts)).toHaveLength(1);
    expect(wire(topLevel()[0]!.blocks)).toContain('Failing for 2 pipelines since');
  });

  it('a deleted parent: the next failure is posted top-level as the parent, and the streak goes on under it', async () => {
    await harness.deliver(failed(first));
    harness.slack.deleteMessage(topLevel()[0]!.ts);
    const { record } = await harness.deliver(failed(first + 1));
    expect(record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'skipped']);
    expect(topLevel()).toHaveLength(1);
    const parent = topLevel()[0]!;
    expect(parent.text).toContain(`Failed: pipeline #${first + 1}`);
    expect(wire(parent.blocks)).toContain(`Failing for 2 pipelines since <${BASE}/-/pipelines/${first}|#${first}>`);

    await harness.deliver(failed(first + 2));
    expect(harness.slack.replies(parent.ts)).toHaveLength(1);
    expect(wire(parent.blocks)).toContain('Failing for 3 pipelines since');
    await harness.deliver(passed(first + 3));
    expect(harness.slack.replies(parent.ts)).toHaveLength(2);
    expect(wire(parent.blocks)).toContain(`Fixed by <${BASE}/-/pipelines/${first + 3}|`);
    expect(topLevel()).toHaveLength(1);
  });

  it('without recovery notices, a green pipeline still ends the streak', async () => {
    harness.configure({ routes: [{ ...slackRoute, options: { notifyOnRecovery: false, storm: false } }] });
    await harness.deliver(failed(first));
    await harness.deliver(passed(first + 1));
    await harness.deliver(failed(first + 2));
    expect(topLevel()).toHaveLength(2);
    expect(wire(topLevel()[1]!.blocks)).toContain('New failure: the last finished pipeline on branch master had passed.');
  });
});

describe('late deliveries do not corrupt the streak', () => {
  it('an older failure arriving after a newer one joins the thread; an older green one is no recovery', async () => {
    await harness.deliver(failed(first + 5));
    const parent = topLevel()[0]!;
    await harness.deliver(failed(first + 2));
    expect(topLevel()).toHaveLength(1);
    expect(harness.slack.replies(parent.ts)).toHaveLength(1);
    expect(wire(parent.blocks)).toContain(`Failing for 2 pipelines since <${BASE}/-/pipelines/${first + 5}|#${first + 5}>`);

    // #first+3 passed before #first+5 failed: not a recovery.
    const late = await harness.deliver(passed(first + 3));
    expect(late.record.outcomes[0]).toMatchObject({ status: 'skipped' });
    expect(harness.slack.replies(parent.ts)).toHaveLength(1);

    await harness.deliver(passed(first + 6));
    expect(harness.slack.replies(parent.ts)).toHaveLength(2);
    expect(wire(parent.blocks)).toContain('Had been failing for 2 pipelines');
  });

  it('a failure older than the recovery is announced on its own and starts no streak', async () => {
    await harness.deliver(failed(first));
    await harness.deliver(passed(first + 2));
    await harness.deliver(failed(first + 1));
    expect(topLevel()).toHaveLength(2);
    expect(wire(topLevel()[1]!.blocks)).not.toContain('New failure');
    expect(wire(topLevel()[1]!.blocks)).not.toContain('Failing for');

    // The ref is still green: the next failure is new, not threaded under the late one.
    await harness.deliver(failed(first + 3));
    expect(topLevel()).toHaveLength(3);
    expect(wire(topLevel()[2]!.blocks)).toContain('New failure: the last finished pipeline');
    expect(harness.slack.replies(topLevel()[1]!.ts)).toHaveLength(0);
  });
});

describe('also failing on the target branch', () => {
  const mrPipeline = (id: number, jobs: string[]) =>
    failed(id, { ref: 'feature/booking', mergeRequest: { iid: 7, title: 'Booking' }, failedJobs: jobs.map((name) => ({ name, stage: 'test' })) });

  it('an MR pipeline failing on a job that fails on master says so next to that job', async () => {
    await harness.deliver(
      failed(first, {
        failedJobs: [
          { name: 'rspec', stage: 'test' },
          { name: 'lint', stage: 'test' },
        ],
      }),
    );
    await harness.deliver(mrPipeline(first + 1, ['rspec', 'docs']));
    const notice = topLevel()[1]!;
    const jobs = wire(notice.blocks);
    expect(jobs).toMatch(/\|rspec> \(test\) — script failure · _also failing on master_/);
    expect(jobs).toMatch(/\|docs> \(test\) — script failure\\n|\|docs> \(test\) — script failure"/);
    expect(jobs).not.toMatch(/\|docs> \(test\) — script failure · _also/);
  });

  it('says nothing of master when master is green again', async () => {
    await harness.deliver(failed(first, { failedJobs: [{ name: 'rspec', stage: 'test' }] }));
    await harness.deliver(passed(first + 1));
    await harness.deliver(mrPipeline(first + 2, ['rspec']));
    expect(wire(topLevel()[1]!.blocks)).not.toContain('also failing');
  });

  it('Teams cards say it too', async () => {
    harness.configure({ routes: [teamsRoute] });
    await harness.deliver(failed(first, { failedJobs: [{ name: 'rspec', stage: 'test' }] }));
    await harness.deliver(mrPipeline(first + 1, ['rspec']));
    const texts = cardTexts(expectValidTeamsMessage(harness.teams.postsTo('ops')[1]!.body, harness.teams.postsTo('ops')[1]!.raw));
    expect(texts.join('\n')).toContain('_also failing on master_');
  });
});

describe('Teams: no threads, each card says new or still failing', () => {
  it('fail → fail → pass: a new-failure card, a still-failing card, a recovery card naming the first failure', async () => {
    harness.configure({ routes: [teamsRoute] });
    const one = await harness.deliver(failed(first));
    const two = await harness.deliver(failed(first + 1));
    const three = await harness.deliver(passed(first + 2));
    const cards = harness.teams.postsTo('ops').map((post) => cardTexts(expectValidTeamsMessage(post.body, post.raw)));
    expect(cards).toHaveLength(3);
    expect(cards[0]).toContain('🆕 New failure: no earlier result is known for branch master.');
    expect(cards[1]![0]).toBe(`❌ Pipeline #${first + 1} failed on master`);
    expect(cards[1]).toContain(
      `🔁 Still failing since [pipeline #${first}](${BASE}/-/pipelines/${first}) (2 pipelines, first failed 2016-08-12 15:26:29 UTC).`,
    );
    expect(cards[2]![0]).toBe(`✅ Fixed: pipeline #${first + 2} passed on master`);
    expect(cards[2]!.join('\n')).toContain(`[pipeline #${first}](${BASE}/-/pipelines/${first}) failed.`);
    expect(two.record.outcomes.map((outcome) => outcome.key)).toEqual([`teams:ops:pipeline:${pk()}:${first + 1}:failed${ROUND}`]);

    for (const { id } of [one, two, three]) await harness.run(id, { replay: true });
    expect(harness.teams.postsTo('ops')).toHaveLength(3);
    expect(posts()).toHaveLength(0);
  });
});
