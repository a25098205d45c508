import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteInput } from '../../lib/routing/schema.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { NotifyHarness } from './harness.js';
import { allSlackTexts, expectWithinSlackLimits } from './slack-limits.js';

/**
 * Pipeline notices in Slack, end to end: GitLab payload stored in DynamoDB (dynalite), the
 * worker's processDelivery, the notify planner, the real @slack/web-api WebClient, and a local
 * server speaking Slack's Web API. Assertions are on what crossed the wire and on the record.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0PIPELINES';
// storm: false: this file posts more than 5 failures to one channel within 2 minutes, and folding
// (on by default, issue 14; test/notify/storm.test.ts) is not what it tests.
const route: RouteInput = { name: 'ci', projects: ['gitlab-org/*'], events: ['pipeline'], slack: { channel: CHANNEL }, options: { storm: false } };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());
// Each test gets its own project, so state (failing refs) from one test does not leak into the next.
let projectId = 1000;
/** Project part of pipeline keys, and the round of the example pipeline (its finished_at). */
const pk = () => `${projectId}@gitlab-org/gitlab-test`;
const ROUND = ':20160812152629';
beforeEach(() => {
  harness.slack.reset();
  harness.configure({ routes: [route] });
  projectId += 1;
});
const pipeline = (spec: PipelineSpec) => pipelineEvent({ projectId, ...spec });

type Json = Record<string, unknown>;
const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const updates = () => harness.slack.calls.filter((call) => call.method === 'chat.update');
const wire = (params: Json) => JSON.stringify(params);

let nextId = 100;
const newId = () => (nextId += 10);

describe('a failed pipeline on a watched branch', () => {
  it('posts one notice with the facts an engineer needs', async () => {
    const id = newId();
    const { result, record } = await harness.deliver(
      pipeline({
        id,
        ref: 'master',
        commitTitle: 'Fix the flaky booking test',
        commitAuthor: 'Alex Garcia',
        duration: 192,
        source: 'merge_request_event',
        mergeRequest: { iid: 7, title: 'Booking validation' },
      }),
    );

    expect(result.kind).toBe('finished');
    expect(posts()).toHaveLength(1);
    const call = posts()[0]!;
    expect(call.authorization).toBe(`Bearer ${harness.slack.token}`);
    expect(call.contentType).toContain('application/x-www-form-urlencoded');
    expect(call.params.channel).toBe(CHANNEL);
    expect(call.params.unfurl_links).toBe('false');
    const body = wire(call.params);
    const base = 'http://192.168.64.1:3005/gitlab-org/gitlab-test';
    expect(call.params.text).toBe(`Failed: pipeline #${id} in gitlab-org/gitlab-test on branch master: Fix the flaky booking test`);
    expect(body).toContain(`Pipeline #${id} failed on master`);
    expect(body).toContain(`<${base}/-/pipelines/${id}|pipeline #${id}`);
    expect(body).toContain(`<${base}/-/tree/master|master>`);
    expect(body).toContain(`*Commit*\\n<${base}/-/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2|Fix the flaky booking test>`);
    expect(body).toContain('*Author*\\nAlex Garcia');
    expect(body).toContain('*Triggered by*\\nAdministrator');
    expect(body).toContain('*Duration*\\n3m 12s');
    expect(body).toContain('*Source*\\nmerge request');
    expect(body).toContain('*Failed stages*\\ntest');
    expect(body).toContain(`*Merge request*\\n<${base}/-/merge_requests/7|!7 Booking validation>`);
    expect(body).toMatch(new RegExp(`• <${base}/-/jobs/\\d+\\|rspec> \\(test\\) — script failure`));
    expect(body).toContain(`${base}/-/pipelines/${id}/failures`);
    expectWithinSlackLimits(call.params);

    const [outcome] = record.outcomes;
    expect(outcome).toMatchObject({
      key: `slack:${CHANNEL}:pipeline:${pk()}:${id}:failed${ROUND}`,
      kind: 'slack',
      target: CHANNEL,
      status: 'sent',
      attempts: 1,
    });
    expect(outcome?.result?.ts).toBe(harness.slack.messages[0]?.ts);
    expect(record.status).toBe('done');
  });

  it('does not count a job that failed and then passed on retry', async () => {
    await harness.deliver(
      pipeline({ id: newId(), retriedThenPassed: ['flaky-e2e'], failedJobs: [{ name: 'lint', stage: 'test', failureReason: 'script_failure' }] }),
    );
    const body = wire(posts()[0]!.params);
    expect(body).toContain('|lint>');
    expect(body).not.toContain('flaky-e2e');
  });

  it('leaves out jobs allowed to fail and orders failed jobs by stage', async () => {
    await harness.deliver(
      pipeline({
        id: newId(),
        failedJobs: [
          { name: 'deploy-review', stage: 'deploy', failureReason: 'stuck_or_timeout_failure' },
          { name: 'audit', stage: 'test', allowFailure: true },
          { name: 'compile-assets', stage: 'build', failureReason: 'runner_system_failure' },
        ],
      }),
    );
    const body = wire(posts()[0]!.params);
    expect(body).not.toContain('|audit>');
    expect(body).toContain('*Failed stages*\\nbuild, deploy');
    expect(body.indexOf('compile-assets')).toBeLessThan(body.indexOf('deploy-review'));
    expect(body).toContain('runner system failure');
    expect(body).toContain('stuck or timeout failure');
  });

  it('lists at most 10 of 200 failed jobs, then "and N more" linking to the failures tab', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id, failedJobs: 200 }));
    const params = posts()[0]!.params;
    const jobs = (params.blocks as Json[]).find((block) => ((block.text as Json | undefined)?.text as string | undefined)?.startsWith('*Failed jobs*'));
    const text = (jobs?.text as Json).text as string;
    expect(text.split('\n').filter((line) => line.startsWith('• '))).toHaveLength(10);
    expect(text).toContain(`…and 190 more: <http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${id}/failures|see all failures>`);
    expectWithinSlackLimits(params);
  });

  it('escapes hostile input and truncates a 10 kB commit title', async () => {
    const hostile = `<!channel> deploy <https://evil.example|click me> & ${'x'.repeat(10_000)}`;
    await harness.deliver(
      pipeline({
        id: newId(),
        commitTitle: hostile,
        commitAuthor: '<!here> Mallory',
        ref: 'master',
        failedJobs: [{ name: '<https://evil.example|rspec>', stage: '<!everyone>' }],
        mergeRequest: { iid: 9, title: '<@U123> please' },
      }),
    );
    const params = posts()[0]!.params;
    expectWithinSlackLimits(params);
    const texts = allSlackTexts(params).join('\n');
    expect(texts).not.toContain('<!channel>');
    expect(texts).not.toContain('<!here>');
    expect(texts).not.toContain('<!everyone>');
    expect(texts).not.toContain('<@U123>');
    expect(texts).not.toContain('<https://evil.example');
    expect(texts).toContain('&lt;!channel&gt; deploy &lt;https://evil.example|click me&gt; &amp; xxx');
    expect(texts).toContain('&lt;!here&gt; Mallory');
    expect(texts).not.toContain('x'.repeat(1000));
    expect(texts).toContain('…');
  });

  it('a plain @channel, #channel or URL in a commit title stays text: every mrkdwn object is verbatim', async () => {
    await harness.deliver(pipeline({ id: newId(), commitTitle: '@channel @here deploy to #general now https://evil.example/x', commitAuthor: '@everyone' }));
    const params = posts()[0]!.params;
    const withTitle = (params.blocks as Json[])
      .flatMap((block) => [block.text, ...((block.fields as Json[] | undefined) ?? [])])
      .filter((object) => JSON.stringify(object ?? '').includes('@channel @here'));
    expect(withTitle.length).toBeGreaterThan(0);
    for (const object of withTitle) expect(object).toMatchObject({ type: 'mrkdwn', verbatim: true });
    expectWithinSlackLimits(params);
  });

  it('records the notice as sent once: a redelivery and a replay post nothing new', async () => {
    const payload = pipeline({ id: newId() });
    const first = await harness.deliver(payload);
    expect(first.record.outcomes[0]?.status).toBe('sent');
    // GitLab resends the event (a new delivery of the same pipeline state).
    const again = await harness.deliver(payload);
    expect(again.record.outcomes[0]).toMatchObject({ status: 'skipped' });
    expect(again.record.outcomes[0]?.reason).toMatch(/^already sent at /);
    // An operator replays the first delivery.
    const replay = await harness.run(first.id, { replay: true });
    expect(replay.kind).toBe('finished');
    expect(posts()).toHaveLength(1);
  });
});

describe('pipelines that do not notify', () => {
  it('skips a passed pipeline with a reason when only broken pipelines notify', async () => {
    const id = newId();
    const { record } = await harness.deliver(pipeline({ id, status: 'success' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes).toEqual([
      expect.objectContaining({
        key: `slack:${CHANNEL}:pipeline:${pk()}:${id}:passed${ROUND}`,
        status: 'skipped',
        reason: 'pipeline passed; only broken pipelines notify (notifyOnlyBrokenPipelines)',
      }),
    ]);
    expect(record.status).toBe('done');
  });

  it('skips a branch the route does not watch, naming the filter', async () => {
    const { record } = await harness.deliver(pipeline({ id: newId(), ref: 'feature/x' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'branch feature/x is not watched (branches: the default branch)' });
  });

  it('skips running pipelines', async () => {
    const { record } = await harness.deliver(pipeline({ id: newId(), status: 'running' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'pipeline running: only failed and passed pipelines notify' });
  });

  it('sends nothing for a project no route matches', async () => {
    const { record } = await harness.deliver(pipeline({ id: newId(), projectPath: 'other/app' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes).toEqual([]);
    expect(record.status).toBe('done');
  });

  it('posts passed pipelines when notifyOnlyBrokenPipelines is off', async () => {
    harness.configure({ routes: [{ ...route, options: { notifyOnlyBrokenPipelines: false, storm: false } }] });
    const id = newId();
    const { record } = await harness.deliver(pipeline({ id, status: 'success' }));
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.params.text).toBe(`Passed: pipeline #${id} in gitlab-org/gitlab-test on branch master`);
    expect(record.outcomes[0]).toMatchObject({ key: `slack:${CHANNEL}:pipeline:${pk()}:${id}:passed${ROUND}`, status: 'sent' });
  });
});

describe('recovery', () => {
  it('threads the recovery under the failure notice and marks the notice fixed', async () => {
    const failedId = newId();
    await harness.deliver(pipeline({ id: failedId, ref: 'master' }));
    const parent = harness.slack.messages[0]!;

    const passedId = failedId + 1;
    const { record } = await harness.deliver(pipeline({ id: passedId, ref: 'master', status: 'success', commitTitle: 'Really fix it' }));

    const reply = posts()[1]!;
    expect(reply.params.thread_ts).toBe(parent.ts);
    expect(reply.params.channel).toBe(parent.channel);
    expect(wire(reply.params)).toContain(`Pipeline #${passedId}> passed on branch`);
    expect(wire(reply.params)).toContain(`fixed since <http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${failedId}|#${failedId}> failed.`);
    expect(harness.slack.replies(parent.ts)).toHaveLength(1);

    expect(updates()).toHaveLength(1);
    const update = updates()[0]!;
    expect(update.params).toMatchObject({ channel: parent.channel, ts: parent.ts });
    expect(update.params.text).toContain(`Fixed: pipeline #${failedId}`);
    expect(wire(update.params)).toContain(`Fixed by <http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${passedId}|pipeline #${passedId}>`);
    // The re-rendered notice still lists what had failed.
    expect(wire(update.params)).toContain('|rspec>');
    expectWithinSlackLimits(update.params);

    expect(record.outcomes.map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`slack:${CHANNEL}:pipeline:${pk()}:${passedId}:recovered${ROUND}`, 'sent'],
      [`slack:${CHANNEL}:pipeline:${pk()}:${failedId}:fixed${ROUND}`, 'sent'],
    ]);
    expect(record.outcomes[0]?.result).toMatchObject({ thread_ts: parent.ts });

    // The next green pipeline is ordinary again.
    const later = await harness.deliver(pipeline({ id: passedId + 1, ref: 'master', status: 'success' }));
    expect(later.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('only broken pipelines') });
    expect(posts()).toHaveLength(2);
  });

  it('a redelivered recovery posts nothing new', async () => {
    const failedId = newId();
    await harness.deliver(pipeline({ id: failedId }));
    const passed = pipeline({ id: failedId + 1, status: 'success' });
    await harness.deliver(passed);
    const again = await harness.deliver(passed);
    expect(again.record.outcomes.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped']);
    expect(posts()).toHaveLength(2);
    expect(updates()).toHaveLength(1);
  });

  it('the same pipeline passing after its failed jobs were retried is a recovery', async () => {
    const id = newId();
    await harness.deliver(pipeline({ id }));
    const { record } = await harness.deliver(pipeline({ id, status: 'success', failedJobs: [] }));
    expect(posts()[1]!.params.thread_ts).toBe(harness.slack.messages[0]!.ts);
    expect(wire(posts()[1]!.params)).toContain('fixed by retrying its failed jobs.');
    expect(record.outcomes.map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`slack:${CHANNEL}:pipeline:${pk()}:${id}:recovered${ROUND}`, 'sent'],
      [`slack:${CHANNEL}:pipeline:${pk()}:${id}:fixed${ROUND}`, 'sent'],
    ]);
  });

  it('does not announce a recovery when notifyOnRecovery is off', async () => {
    harness.configure({ routes: [{ ...route, options: { notifyOnRecovery: false, storm: false } }] });
    const failedId = newId();
    await harness.deliver(pipeline({ id: failedId }));
    await harness.deliver(pipeline({ id: failedId + 1, status: 'success' }));
    expect(posts()).toHaveLength(1);
    expect(updates()).toHaveLength(0);
  });

  it('an older pipeline passing late is not a recovery of a newer failure', async () => {
    const failedId = newId();
    await harness.deliver(pipeline({ id: failedId }));
    const { record } = await harness.deliver(pipeline({ id: failedId - 1, status: 'success' }));
    expect(posts()).toHaveLength(1);
    expect(record.outcomes[0]?.status).toBe('skipped');
  });

  it('threads under a channel given by name, updating through the channel id Slack returned', async () => {
    harness.configure({ routes: [{ ...route, slack: { channel: '#ci-alerts' } }] });
    const failedId = newId();
    await harness.deliver(pipeline({ id: failedId }));
    expect(posts()[0]!.params.channel).toBe('#ci-alerts');
    await harness.deliver(pipeline({ id: failedId + 1, status: 'success' }));
    expect(updates()[0]!.params.channel).toBe('CCIALERTS');
    expect(posts()[1]!.params.thread_ts).toBe(harness.slack.messages[0]!.ts);
  });
});

describe('Slack failures', () => {
  it('429: the delivery goes back to the queue after Retry-After, then posts once', async () => {
    const id = newId();
    harness.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 });
    const first = await harness.deliver(pipeline({ id }));
    expect(first.result).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    expect(first.record.status).toBe('processing');
    expect(first.record.outcomes[0]).toMatchObject({ status: 'failed', retryable: true, attempts: 1 });
    expect(first.record.outcomes[0]?.error).toContain('retry after 7s');
    // rejectRateLimitedCalls: the client did not wait and retry on its own.
    expect(posts()).toHaveLength(1);

    const second = await harness.run(first.id, { attempt: 2 });
    expect(second.kind).toBe('finished');
    const record = await harness.store.get(first.id);
    expect(record?.outcomes[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(harness.slack.messages).toHaveLength(1);
  });

  it('5xx: retried through the queue (unavailable), nothing posted', async () => {
    harness.slack.failNext('chat.postMessage', { status: 503 }, 5);
    const { result, record } = await harness.deliver(pipeline({ id: newId() }));
    expect(result.kind).toBe('retry');
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: true });
    expect(record.outcomes[0]?.error).toContain('Slack answered HTTP 503');
    expect(harness.slack.messages).toHaveLength(0);
  });

  it('5xx on the last attempt: the delivery fails for the dead-letter queue', async () => {
    harness.slack.failNext('chat.postMessage', { status: 500 }, 5);
    const id = await harness.storeDelivery(pipeline({ id: newId() }));
    const result = await harness.run(id, { attempt: 5 });
    expect(result).toMatchObject({ kind: 'retry', status: 'failed' });
    const record = await harness.store.get(id);
    expect(record?.status).toBe('failed');
    expect(record?.statusReason).toMatch(/^gave up after 5 attempts/);
  });

  it.each([
    ['channel_not_found', 'check the channel id'],
    ['not_in_channel', 'invite the bridge app'],
    ['invalid_auth', 'check the Slack bot token'],
  ])('ok:false %s: recorded as refused with the code, not retried', async (code, hint) => {
    harness.slack.failNext('chat.postMessage', { error: code });
    const { result, record } = await harness.deliver(pipeline({ id: newId() }));
    expect(result).toMatchObject({ kind: 'finished', status: 'failed' });
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: false });
    expect(record.outcomes[0]?.error).toContain(`Slack refused chat.postMessage to ${CHANNEL}: ${code}`);
    expect(record.outcomes[0]?.error).toContain(hint);
  });

  it('a wrong token is refused by Slack and named as such', async () => {
    harness.configure({ routes: [route], slackToken: 'xoxb-wrong' });
    const { record } = await harness.deliver(pipeline({ id: newId() }));
    expect(record.outcomes[0]?.error).toContain('invalid_auth');
    expect(JSON.stringify(record)).not.toContain('xoxb-wrong');
  });
});
