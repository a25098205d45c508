import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flakyLabel, flakyMarks, recordFlakyJob, updateUntilStable } from '../../lib/notify/flaky.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import { jobEvent, type JobSpec } from '../fixtures/builders/job.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { cardTexts, expectValidTeamsMessage } from './adaptive-card-validation.js';
import { NotifyHarness } from './harness.js';

/**
 * Flaky jobs end to end: pipeline and job events stored in DynamoDB (dynalite), the worker, the
 * notify planner, the real Slack client against the local Slack server and fetch against the
 * local Teams server. Assertions are on what crossed the wire and on the delivery records.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0FLAKY';
// storm: false: this file posts more than 5 failures to one channel within 2 minutes, and folding
// (on by default, issue 14; test/notify/storm.test.ts) is not what it tests.
const slackRoute: RouteInput = { name: 'ci', projects: ['gitlab-org/*'], events: ['pipeline'], slack: { channel: CHANNEL }, options: { storm: false } };
const teamsRoute: RouteInput = { name: 'teams', projects: ['gitlab-org/*'], events: ['pipeline'], teams: { webhook: 'ops' } };
const ROUND = ':20160812152629';

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

// Each test gets its own project, so flaky counts and failing refs do not leak between tests.
let projectId = 5000;
const pk = () => `${projectId}@gitlab-org/gitlab-test`;
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  harness.configure({ routes: [slackRoute] });
  projectId += 1;
});
let nextId = 700;
const newId = () => (nextId += 10);
const pipeline = (spec: PipelineSpec) => pipelineEvent({ projectId, ...spec });
const job = (spec: JobSpec) => jobEvent({ projectId, ...spec });
const twoFailed = [
  { name: 'rspec', stage: 'test', failureReason: 'script_failure' },
  { name: 'lint', stage: 'test', failureReason: 'script_failure' },
];

const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const updates = () => harness.slack.calls.filter((call) => call.method === 'chat.update');
/** The lines of the notice's failed-jobs section. */
const jobLines = (params: Record<string, unknown>) =>
  (params.blocks as Array<{ text?: { text?: string } }>).flatMap((block) => (block.text?.text ?? '').split('\n')).filter((line) => line.startsWith('• '));

describe('a failed job that passes on retry (job event)', () => {
  it('updates the failure notice once to mark the job flaky; a redelivery and a replay change nothing', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: twoFailed }));
    const notice = harness.slack.messages[0]!;

    const payload = job({ name: 'rspec', pipelineId: id });
    const first = await harness.deliver(payload);
    expect(first.record.outcomes).toEqual([
      expect.objectContaining({ key: `slack:${CHANNEL}:pipeline:${pk()}:${id}:flaky:rspec${ROUND}`, kind: 'slack', status: 'sent' }),
    ]);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]!.params).toMatchObject({ channel: CHANNEL, ts: notice.ts });
    const lines = jobLines(updates()[0]!.params);
    expect(lines.find((line) => line.includes('|rspec>'))).toMatch(/ · :repeat: passed on retry: flaky$/);
    expect(lines.find((line) => line.includes('|lint>'))).not.toContain('flaky');
    // Still a failure notice: the pipeline has not passed.
    expect(updates()[0]!.params.text).toMatch(/^Failed: pipeline #/);

    const again = await harness.deliver(payload);
    expect(again.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^already sent at /) });
    await harness.run(first.id, { replay: true });
    expect(updates()).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('marks a second flaky job on the same notice, keeping the first mark', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: twoFailed }));
    await harness.deliver(job({ name: 'rspec', pipelineId: id }));
    await harness.deliver(job({ name: 'lint', pipelineId: id, retries: 2 }));
    expect(updates()).toHaveLength(2);
    const flaky = jobLines(updates()[1]!.params).filter((line) => line.includes('passed on retry: flaky'));
    expect(flaky).toHaveLength(2);
  });

  it('shows the count from the second flaky pipeline of the same job on', async () => {
    // Each pipeline turns green once its flaky job passed (as GitLab does when the retry was the
    // last failed job), so the next failure on the ref is a new notice, not a reply in a red streak.
    const lastUpdate = () => updates().at(-2)!.params;
    const first = newId();
    await harness.deliver(pipeline({ id: first }));
    await harness.deliver(job({ name: 'rspec', pipelineId: first }));
    expect(jobLines(updates()[0]!.params)[0]).toMatch(/passed on retry: flaky$/);
    await harness.deliver(pipeline({ id: first, status: 'success', failedJobs: [] }));

    const second = first + 1;
    await harness.deliver(pipeline({ id: second }));
    const secondNotice = harness.slack.messages.filter((message) => message.threadTs === undefined).at(-1)!;
    await harness.deliver(job({ name: 'rspec', pipelineId: second }));
    await harness.deliver(pipeline({ id: second, status: 'success', failedJobs: [] }));
    expect(lastUpdate().ts).toBe(secondNotice.ts);
    expect(jobLines(lastUpdate())[0]).toContain('passed on retry: flaky 2 times in 30 days');

    // A redelivered job event, and the first pipeline's green event again, do not count it twice.
    await harness.deliver(job({ name: 'rspec', pipelineId: first }));
    await harness.deliver(pipeline({ id: first, status: 'success', failedJobs: [] }));
    const third = second + 1;
    await harness.deliver(pipeline({ id: third }));
    await harness.deliver(job({ name: 'rspec', pipelineId: third }));
    expect(jobLines(updates().at(-1)!.params)[0]).toContain('passed on retry: flaky 3 times in 30 days');
  });

  it('leaves notices alone for a job of another pipeline, one the notice does not list, a failing or allowed-to-fail one', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: twoFailed }));
    const results = [
      await harness.deliver(job({ name: 'rspec', pipelineId: id - 1 })),
      await harness.deliver(job({ name: 'compile', stage: 'build', pipelineId: id, retries: 0 })),
      await harness.deliver(job({ name: 'rspec', pipelineId: id, status: 'failed' })),
      await harness.deliver(job({ name: 'rspec', pipelineId: id, allowFailure: true })),
      await harness.deliver(job({ name: 'rspec', stage: 'deploy', pipelineId: id })),
    ];
    expect(results.map(({ record }) => [record.status, record.outcomes.length])).toEqual(Array.from({ length: 5 }, () => ['done', 0]));
    expect(updates()).toHaveLength(0);
  });

  it('updates nothing for a route that does not watch pipelines', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    harness.configure({ routes: [{ ...slackRoute, events: ['merge_request'] }] });
    const { record } = await harness.deliver(job({ name: 'rspec', pipelineId: id }));
    expect(record.outcomes).toEqual([]);
    expect(updates()).toHaveLength(0);
  });

  it('keeps the fixed state of a notice a recovery already updated', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    await harness.deliver(pipeline({ id: id + 1, status: 'success' }));
    expect(updates()).toHaveLength(1);
    // The job event of the old pipeline's retry arrives late.
    await harness.deliver(job({ name: 'rspec', pipelineId: id }));
    expect(updates()).toHaveLength(2);
    const latest = updates()[1]!.params;
    expect(latest.text).toMatch(/^Fixed: pipeline #/);
    expect(JSON.stringify(latest.blocks)).toContain(`Fixed by <http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${id + 1}|pipeline #${id + 1}>`);
    expect(jobLines(latest)[0]).toContain('passed on retry: flaky');
  });

  it('refuses a job event whose project is not the authenticated one, acting on nothing', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    const payload = job({ name: 'rspec', pipelineId: id });
    const foreign = await harness.storeDelivery(payload, { authProject: { path: 'gitlab-org/other-app', id: projectId } });
    const result = await harness.run(foreign);
    expect(result).toMatchObject({ kind: 'finished', status: 'failed' });
    expect((await harness.store.get(foreign))?.statusReason).toBe(
      'refused: payload project gitlab-org/gitlab-test is not the authenticated project gitlab-org/other-app',
    );
    const otherId = await harness.storeDelivery(payload, { authProject: { path: 'gitlab-org/gitlab-test', id: projectId + 1 } });
    expect(await harness.run(otherId)).toMatchObject({ status: 'failed' });
    expect(updates()).toHaveLength(0);

    // The same event from its own project is accepted.
    const own = await harness.storeDelivery(payload, { authProject: { path: 'gitlab-org/gitlab-test', id: projectId } });
    expect(await harness.run(own)).toMatchObject({ status: 'done' });
    expect(updates()).toHaveLength(1);
  });
});

describe('the failed pipeline itself turning green', () => {
  it('names the jobs its notice listed as flaky in the recovery reply and the fixed notice', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: twoFailed }));
    const { record } = await harness.deliver(pipeline({ id, status: 'success', failedJobs: [] }));
    expect(record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent']);
    expect(JSON.stringify(posts()[1]!.params.blocks)).toContain('fixed by retrying its failed jobs. Flaky (failed, then passed on retry): lint, rspec.');
    const fixed = updates()[0]!.params;
    expect(fixed.text).toMatch(/^Fixed: pipeline #/);
    expect(jobLines(fixed).filter((line) => line.endsWith('passed on retry: flaky'))).toHaveLength(2);
  });

  it('counts a job marked by its job event once, though the pipeline names it again', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    await harness.deliver(job({ name: 'rspec', pipelineId: id }));
    await harness.deliver(pipeline({ id, status: 'success', failedJobs: [] }));
    expect(updates()).toHaveLength(2);
    expect(jobLines(updates()[1]!.params)[0]).toMatch(/passed on retry: flaky$/);
  });

  it('the last job event and the green pipeline processed at once leave the notice fixed, with its mark', async () => {
    for (let i = 0; i < 3; i += 1) {
      const id = newId();
      harness.slack.reset();
      await harness.deliver(pipeline({ id }));
      await Promise.all([harness.deliver(job({ name: 'rspec', pipelineId: id })), harness.deliver(pipeline({ id, status: 'success', failedJobs: [] }))]);
      const notice = harness.slack.messages[0]!;
      const shown = notice.history.at(-1)!;
      expect(shown.text).toMatch(/^Fixed: pipeline #/);
      // One count per pipeline, though both events name the job.
      expect(jobLines({ blocks: shown.blocks })[0]).toMatch(i === 0 ? /passed on retry: flaky$/ : `passed on retry: flaky ${i + 1} times in 30 days`);
    }
  });

  it('does not call a later pipeline’s jobs flaky', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    await harness.deliver(pipeline({ id: id + 1, status: 'success' }));
    expect(JSON.stringify(posts()[1]!.params.blocks)).not.toContain('Flaky');
    expect(jobLines(updates()[0]!.params)[0]).not.toContain('flaky');
  });
});

describe('Teams', () => {
  beforeEach(() => harness.configure({ routes: [teamsRoute] }));

  it('posts a short card for the flaky job once (cards cannot be edited); a replay posts nothing', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    const first = await harness.deliver(job({ name: 'rspec', pipelineId: id }));
    expect(first.record.outcomes).toEqual([expect.objectContaining({ key: `teams:ops:pipeline:${pk()}:${id}:flaky:rspec${ROUND}`, status: 'sent' })]);
    const cards = harness.teams.postsTo('ops');
    expect(cards).toHaveLength(2);
    const texts = cardTexts(expectValidTeamsMessage(cards[1]!.body));
    expect(texts[0]).toBe('🔁 Job rspec passed on retry: flaky');
    expect(texts[1]).toBe(`It had failed [pipeline #${id}](http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${id}) on branch master.`);
    await harness.run(first.id, { replay: true });
    expect(harness.teams.postsTo('ops')).toHaveLength(2);
  });

  it('names the flaky jobs on the recovery card of the same pipeline', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: twoFailed }));
    await harness.deliver(pipeline({ id, status: 'success', failedJobs: [] }));
    const texts = cardTexts(expectValidTeamsMessage(harness.teams.postsTo('ops')[1]!.body));
    expect(texts[1]).toBe('The branch is green again: the failed jobs passed when retried. Flaky (failed, then passed on retry): lint, rspec.');
  });
});

describe('the flaky count', () => {
  it('counts the pipelines of the last 30 days, each once', async () => {
    const key = `${projectId}@gitlab-org/window`;
    const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 24 * 3600 * 1000);
    expect(await recordFlakyJob(harness.state, key, 'rspec', 1, day(0))).toBe(1);
    expect(await recordFlakyJob(harness.state, key, 'rspec', 1, day(1))).toBe(1);
    expect(await recordFlakyJob(harness.state, key, 'rspec', 2, day(20))).toBe(2);
    expect(await recordFlakyJob(harness.state, key, 'lint', 2, day(20))).toBe(1);
    // Pipeline 1 (day 0) is out of the window on day 31.
    expect(await recordFlakyJob(harness.state, key, 'rspec', 3, day(31))).toBe(2);
    expect(await flakyMarks(harness.state, key, ['rspec', 'lint', 'unit'], 2, day(31))).toEqual({ rspec: 2, lint: 1 });
  });
});

describe('updateUntilStable', () => {
  const message = (text: string) => ({ text, blocks: [] });
  /** A notice whose state changes `changes` times while it is being updated, as a concurrent writer would. */
  const run = async (views: string[]) => {
    const sent: string[] = [];
    let reads = 0;
    const read = async () => {
      const view = views[Math.min(reads, views.length - 1)]!;
      reads += 1;
      return { view, message: message(view) };
    };
    const last = await updateUntilStable(read, async (update) => {
      sent.push(update.text);
      return update.text;
    });
    return { sent, last };
  };

  it.each([
    ['nothing changed meanwhile: one update', ['a'], ['a']],
    ['a mark recorded meanwhile: updated again with it', ['a', 'a+b', 'a+b'], ['a', 'a+b']],
    ['changes that keep coming: three updates at most', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c']],
  ])('%s', async (_name, views, expected) => {
    const { sent, last } = await run(views);
    expect(sent).toEqual(expected);
    expect(last).toBe(expected.at(-1));
  });
});

describe('flakyLabel', () => {
  it.each([
    [1, 'passed on retry: flaky'],
    [2, 'passed on retry: flaky 2 times in 30 days'],
    [50, 'passed on retry: flaky 50+ times in 30 days'],
  ])('%i -> %s', (count, label) => {
    expect(flakyLabel(count)).toBe(label);
  });
});
