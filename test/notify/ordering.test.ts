import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteInput } from '../../lib/routing/schema.js';
import { mergeRequestEvent, type MergeRequestSpec } from '../fixtures/builders/merge-request.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { NotifyHarness } from './harness.js';

/**
 * Ordering, races and keys of chat notices, through the real worker on dynalite and the Slack
 * stand-in: deliveries of one MR or ref processed at once, a pipeline announced again after a
 * job retry, a parent message someone deleted, and keys that a payload naming another
 * project's id cannot reach.
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0ORDERING';
// storm: false: this file posts more than 5 failures to one channel within 2 minutes, and folding
// (on by default, issue 14; test/notify/storm.test.ts) is not what it tests.
const routes: RouteInput[] = [
  { name: 'reviews', projects: ['flightjs/**', 'attacker/**'], events: ['merge_request'], slack: { channel: CHANNEL } },
  { name: 'ci', projects: ['gitlab-org/*'], events: ['pipeline'], slack: { channel: CHANNEL }, options: { storm: false } },
];
const SIDNEY = { id: 25, name: 'Sidney Jones', username: 'sjones' };

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let iid = 500;
let pipelineId = 7000;
let projectId = 3000;
beforeEach(() => {
  harness.slack.reset();
  harness.configure({ routes });
  iid += 1;
  pipelineId += 10;
  projectId += 1;
});
const mr = (spec: MergeRequestSpec = {}) => mergeRequestEvent({ iid, ...spec });
const pipeline = (spec: PipelineSpec = {}) => pipelineEvent({ projectId, id: pipelineId, ref: 'master', ...spec });

type Json = Record<string, unknown>;
const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const statusLine = (blocks: unknown[]) => {
  const context = (blocks as Json[]).find((block) => block.type === 'context');
  return ((context?.elements as Json[])[0] as Json).text;
};

/** Stores the payloads, then runs the worker on all of them at once (as concurrent Lambdas would). */
async function deliverAtOnce(...payloads: Array<Record<string, unknown>>) {
  const ids = await Promise.all(payloads.map((payload) => harness.storeDelivery(payload)));
  const results = await Promise.all(ids.map((id) => harness.run(id)));
  const records = await Promise.all(ids.map(async (id) => (await harness.store.get(id))!));
  return { ids, results, records };
}

describe('one parent message per merge request, whatever the order of processing', () => {
  it('open and approval processed at once: exactly one parent, and the approval is never lost', async () => {
    const { records } = await deliverAtOnce(
      mr({ updatedAt: '2026-01-16 05:56:25 UTC' }),
      mr({ action: 'approved', user: SIDNEY, updatedAt: '2026-01-16 06:10:00 UTC' }),
    );
    expect(records.map((record) => record.status)).toEqual(['done', 'done']);
    const parents = harness.slack.channelMessages(CHANNEL);
    expect(parents).toHaveLength(1);
    const parent = parents[0]!;
    const replies = harness.slack.replies(parent.ts);
    // Which delivery wins the reservation is up to timing. The open won: the approval threads
    // under its parent. The approval won: its notice is the parent, and the open, arriving at an
    // MR that already has a message, posts nothing (as a late open always does).
    const [open] = records;
    if (open!.outcomes[0]!.status === 'skipped') {
      expect(open!.outcomes[0]!.reason).toContain('already has a message');
      expect(replies).toHaveLength(0);
    } else {
      expect(replies).toHaveLength(1);
      expect(replies[0]!.text).toContain('approved');
    }
    // Whichever ran first, the parent ends showing the approval.
    expect(statusLine(parent.blocks)).toBe(':white_check_mark: *Approved* by Sidney Jones');
  });

  it('four events of a new MR at once: one parent, three replies', async () => {
    const { records } = await deliverAtOnce(
      mr({ action: 'approved', user: SIDNEY, updatedAt: '2026-01-16 06:10:00 UTC' }),
      mr({ action: 'close', updatedAt: '2026-01-16 07:00:00 UTC' }),
      mr({ action: 'reopen', updatedAt: '2026-01-16 08:00:00 UTC' }),
      mr({ action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 09:00:00 UTC' }),
    );
    const parents = harness.slack.channelMessages(CHANNEL);
    expect(records.map((record) => record.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(parents).toHaveLength(1);
    expect(harness.slack.replies(parents[0]!.ts)).toHaveLength(3);
  });

  it('the loser of the race is told to retry when the winner has not recorded the parent in time', async () => {
    // A winner that dies after reserving: its reservation is held, no parent is recorded.
    await harness.state.reserve(`slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:reserve`, 'a crashed worker', 60);
    const { result, record } = await harness.deliver(mr({ action: 'close', updatedAt: '2026-01-16 07:00:00 UTC' }));
    expect(result.kind).toBe('retry');
    expect(record.outcomes[0]).toMatchObject({
      status: 'failed',
      retryable: true,
      error: expect.stringContaining('another delivery is posting the parent message'),
    });
    expect(posts()).toHaveLength(0);
  });
});

describe('one recovery per failure of a ref', () => {
  it('two green pipelines finishing at once: one recovery reply under the failure notice', async () => {
    await harness.deliver(pipeline());
    const notice = harness.slack.messages[0]!;
    const { records } = await deliverAtOnce(pipeline({ id: pipelineId + 1, status: 'success' }), pipeline({ id: pipelineId + 2, status: 'success' }));
    expect(records.map((record) => record.status)).toEqual(['done', 'done']);
    const replies = harness.slack.replies(notice.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/pipeline #70\d+ passed/);
    expect(harness.slack.channelMessages(CHANNEL)).toHaveLength(1);
  });
});

describe('a pipeline run again after a job retry', () => {
  const failedAt = (time: string): PipelineSpec => ({ attributes: { finished_at: time } });

  it('failed, recovered by a retry, failed again (same pipeline id): the second failure is announced too', async () => {
    const first = await harness.deliver(pipeline(failedAt('2026-02-01 10:00:00 UTC')));
    const recovered = await harness.deliver(pipeline({ status: 'success', failedJobs: [], ...failedAt('2026-02-01 10:20:00 UTC') }));
    const again = await harness.deliver(pipeline(failedAt('2026-02-01 10:40:00 UTC')));
    expect([first, recovered, again].map(({ record }) => record.outcomes[0]?.status)).toEqual(['sent', 'sent', 'sent']);
    const notices = harness.slack.channelMessages(CHANNEL);
    expect(notices).toHaveLength(2);
    expect(notices[1]!.text).toContain(`#${pipelineId}`);

    // ...and recovering once more threads under the second notice.
    await harness.deliver(pipeline({ status: 'success', failedJobs: [], ...failedAt('2026-02-01 11:00:00 UTC') }));
    expect(harness.slack.replies(notices[1]!.ts)).toHaveLength(1);
  });

  it('a redelivery or replay of the same failure posts nothing new', async () => {
    const failed = pipeline(failedAt('2026-02-01 10:00:00 UTC'));
    const { id } = await harness.deliver(failed);
    const redelivered = await harness.deliver(failed);
    await harness.run(id, { replay: true });
    expect(redelivered.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^already sent/) });
    expect(posts()).toHaveLength(1);
  });
});

describe('a parent message someone deleted', () => {
  it('an MR reply whose parent is gone posts a new parent and the thread continues under it', async () => {
    await harness.deliver(mr({ updatedAt: '2026-01-16 05:56:25 UTC' }));
    const first = harness.slack.messages[0]!;
    harness.slack.deleteMessage(first.ts);

    const approved = await harness.deliver(mr({ action: 'approved', user: SIDNEY, updatedAt: '2026-01-16 06:10:00 UTC' }));
    expect(approved.record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent']);
    const parents = harness.slack.channelMessages(CHANNEL);
    expect(parents).toHaveLength(1);
    const parent = parents[0]!;
    expect(parent.ts).not.toBe(first.ts);
    expect(statusLine(parent.blocks)).toBe(':white_check_mark: *Approved* by Sidney Jones');

    await harness.deliver(mr({ action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 06:20:00 UTC' }));
    expect(harness.slack.replies(parent.ts)).toHaveLength(1);
    expect(statusLine(parent.blocks)).toBe(':large_purple_circle: *Merged* by Sidney Jones');
  });

  it('a status update of a deleted parent posts a new parent with that status', async () => {
    await harness.deliver(mr({ draft: true, updatedAt: '2026-01-16 05:56:25 UTC' }));
    harness.slack.deleteMessage(harness.slack.messages[0]!.ts);
    const ready = await harness.deliver(mr({ action: 'update', draft: false, markedReady: true, updatedAt: '2026-01-16 08:00:00 UTC' }));
    expect(ready.record.outcomes[0]).toMatchObject({ status: 'sent' });
    const parents = harness.slack.channelMessages(CHANNEL);
    expect(parents).toHaveLength(1);
    expect(statusLine(parents[0]!.blocks)).toBe(':large_green_circle: *Open*');
  });

  it('a recovery whose failure notice is gone is posted on its own, and later green pipelines are quiet again', async () => {
    await harness.deliver(pipeline());
    harness.slack.deleteMessage(harness.slack.messages[0]!.ts);

    const { record } = await harness.deliver(pipeline({ id: pipelineId + 1, status: 'success' }));
    expect(record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'skipped']);
    expect(record.outcomes[1]).toMatchObject({ reason: expect.stringContaining('no longer exists') });
    const messages = harness.slack.channelMessages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toContain(`pipeline #${pipelineId + 1} passed`);

    const later = await harness.deliver(pipeline({ id: pipelineId + 2, status: 'success' }));
    expect(later.record.status).toBe('done');
    expect(later.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('only broken pipelines') });
  });
});

describe("keys belong to the authenticated project: another project's id in the payload reaches nothing of it", () => {
  it("a delivery with project A's path and project B's id cannot update B's MR parent or thread", async () => {
    // Project B (id 2, flightjs/flight-management) opens MR !iid.
    await harness.deliver(mr({ updatedAt: '2026-01-16 05:56:25 UTC' }));
    const parentB = harness.slack.messages[0]!;

    // A's token holder sends A's path with B's id, the same iid, "merged".
    const forged = await harness.deliver(mr({ projectId: 2, projectPath: 'attacker/a', action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 06:20:00 UTC' }));
    expect(forged.record.outcomes[0]?.key).toBe(`slack:${CHANNEL}:mr:2@attacker/a:${iid}:merged`);
    expect(parentB.history).toHaveLength(1);
    expect(harness.slack.replies(parentB.ts)).toHaveLength(0);
    expect(await harness.state.get(`slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}`)).toMatchObject({ ts: parentB.ts, status: 'open' });

    // B's own merge is not pre-claimed: it threads under B's parent.
    const real = await harness.deliver(mr({ action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 06:20:00 UTC' }));
    expect(real.record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent']);
    expect(harness.slack.replies(parentB.ts)).toHaveLength(1);
  });

  it("a pipeline with A's path and B's pipeline id does not pre-claim B's failure notice", async () => {
    await harness.deliver(pipelineEvent({ projectId, projectPath: 'gitlab-org/attacker', id: pipelineId, ref: 'master' }));
    const real = await harness.deliver(pipeline());
    expect(real.record.outcomes[0]).toMatchObject({ status: 'sent' });
    expect(harness.slack.channelMessages(CHANNEL)).toHaveLength(2);
  });
});

describe('links only to the GitLab instance the project is on', () => {
  const EVIL = 'https://evil.example';

  it('pipeline, commit and MR URLs on another origin are not linked; the text stays', async () => {
    harness.configure({ routes: [{ ...routes[1]!, teams: { webhook: 'ops' } }] });
    const payload = pipeline({ mergeRequest: { iid: 4, title: 'Add validation' }, commitTitle: 'Fix the build' });
    const attributes = payload.object_attributes as Json;
    attributes.url = `${EVIL}/pipelines/1`;
    (payload.commit as Json).url = `${EVIL}/commit/1`;
    (payload.merge_request as Json).url = `${EVIL}/mr/4`;
    const { record } = await harness.deliver(payload);
    expect(record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent']);

    const slackWire = JSON.stringify(posts()[0]!.params);
    const teamsWire = JSON.stringify(harness.teams.posts[0]!.body);
    for (const wire of [slackWire, teamsWire]) {
      expect(wire).not.toContain('evil.example');
      expect(wire).toContain('Fix the build');
      expect(wire).toContain('Add validation');
      // The pipeline's link is the one built from the project's URL.
      expect(wire).toContain(`http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${pipelineId}`);
    }
  });

  it("an MR URL on another origin: the MR's link is built from the project's URL", async () => {
    const payload = mr();
    (payload.object_attributes as Json).url = `${EVIL}/phish`;
    await harness.deliver(payload);
    const wire = JSON.stringify(posts()[0]!.params);
    expect(wire).not.toContain('evil.example');
    expect(wire).toContain(`http://gitlab.example.com/flightjs/flight-management/-/merge_requests/${iid}`);
  });
});
