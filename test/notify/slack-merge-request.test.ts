import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RouteInput } from '../../lib/routing/schema.js';
import { mergeRequestEvent, type MergeRequestSpec } from '../fixtures/builders/merge-request.js';
import { NotifyHarness } from './harness.js';
import { allSlackTexts, expectWithinSlackLimits } from './slack-limits.js';

/**
 * Merge request notices in Slack, end to end through the worker: one parent message per MR,
 * its life in the thread and in the parent's status line (chat.update).
 */
const harness = new NotifyHarness();
const CHANNEL = 'C0REVIEWS';
const route: RouteInput = { name: 'reviews', projects: ['flightjs/**'], events: ['merge_request'], slack: { channel: CHANNEL } };
const SIDNEY = { id: 25, name: 'Sidney Jones', username: 'sjones' };
const MR_URL = 'http://gitlab.example.com/flightjs/flight-management/-/merge_requests';

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

// A fresh MR (iid) per test keeps threads apart.
let iid = 100;
beforeEach(() => {
  harness.slack.reset();
  harness.configure({ routes: [route] });
  iid += 1;
});
const mr = (spec: MergeRequestSpec = {}) => mergeRequestEvent({ iid, ...spec });

type Json = Record<string, unknown>;
const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
const updates = () => harness.slack.calls.filter((call) => call.method === 'chat.update');
const wire = (params: Json) => JSON.stringify(params);
const statusLine = (params: Json) => {
  const context = (params.blocks as Json[]).find((block) => block.type === 'context');
  return ((context?.elements as Json[])[0] as Json).text;
};

describe('merge request opened', () => {
  it('posts one parent message: title, author, branches, reviewers, link, status', async () => {
    const { record } = await harness.deliver(mr({ title: 'Add input validation to booking form', reviewers: ['Sidney Jones', 'Kim Lee'] }));
    expect(posts()).toHaveLength(1);
    const params = posts()[0]!.params;
    expect(params.channel).toBe(CHANNEL);
    expect(params.thread_ts).toBeUndefined();
    expect(params.text).toBe(`Merge request !${iid} opened in flightjs/flight-management: Add input validation to booking form`);
    const body = wire(params);
    expect(body).toContain(`*<${MR_URL}/${iid}|!${iid} Add input validation to booking form>*`);
    expect(body).toContain('*Author*\\nAlex Garcia');
    expect(body).toContain('*Branches*\\nfeature/booking-validation → main');
    expect(body).toContain('*Reviewers*\\nSidney Jones, Kim Lee');
    expect(body).toContain('*Project*\\n<http://gitlab.example.com/flightjs/flight-management|flightjs/flight-management>');
    expect(statusLine(params)).toBe(':large_green_circle: *Open*');
    expectWithinSlackLimits(params);
    expect(record.outcomes).toEqual([
      expect.objectContaining({ key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:opened`, status: 'sent', summary: `MR !${iid} opened message` }),
    ]);
  });

  it('escapes a hostile title and description-free reviewers', async () => {
    await harness.deliver(mr({ title: `<!channel> <https://evil.example|free money> ${'y'.repeat(10_000)}`, reviewers: ['<!here>'] }));
    const params = posts()[0]!.params;
    expectWithinSlackLimits(params);
    const texts = allSlackTexts(params).join('\n');
    expect(texts).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
    expect(texts).toContain('&lt;!channel&gt; &lt;https://evil.example∣free money&gt;');
  });

  it('a redelivered open posts nothing new', async () => {
    const payload = mr();
    await harness.deliver(payload);
    const again = await harness.deliver(payload);
    expect(again.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^already sent/) });
    expect(posts()).toHaveLength(1);
  });
});

describe('the merge request life in the thread', () => {
  it('approved, then merged: thread replies and the parent status line follows', async () => {
    await harness.deliver(mr({ updatedAt: '2026-01-16 05:56:25 UTC' }));
    const parent = harness.slack.messages[0]!;

    const approved = await harness.deliver(mr({ action: 'approved', user: SIDNEY, updatedAt: '2026-01-16 06:10:00 UTC' }));
    expect(posts()[1]!.params).toMatchObject({ channel: parent.channel, thread_ts: parent.ts });
    expect(wire(posts()[1]!.params)).toContain(':white_check_mark: Approved by *Sidney Jones*');
    expect(updates()).toHaveLength(1);
    expect(updates()[0]!.params).toMatchObject({ channel: parent.channel, ts: parent.ts });
    expect(statusLine(updates()[0]!.params)).toBe(':white_check_mark: *Approved* by Sidney Jones');
    // The author (only sent with `open`) is kept on the parent.
    expect(wire(updates()[0]!.params)).toContain('*Author*\\nAlex Garcia');
    expect(approved.record.outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent']);

    await harness.deliver(mr({ action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 06:20:00 UTC' }));
    expect(wire(posts()[2]!.params)).toContain(':large_purple_circle: Merged by *Sidney Jones* into main');
    expect(posts()[2]!.params.thread_ts).toBe(parent.ts);
    expect(statusLine(updates()[1]!.params)).toBe(':large_purple_circle: *Merged* by Sidney Jones');

    expect(harness.slack.channelMessages(CHANNEL)).toHaveLength(1);
    expect(harness.slack.replies(parent.ts)).toHaveLength(2);
    expect(parent.history.map((version) => statusLine({ blocks: version.blocks }))).toEqual([
      ':large_green_circle: *Open*',
      ':white_check_mark: *Approved* by Sidney Jones',
      ':large_purple_circle: *Merged* by Sidney Jones',
    ]);
  });

  it('closed and reopened twice: each occurrence is its own reply', async () => {
    await harness.deliver(mr());
    const parent = harness.slack.messages[0]!;
    await harness.deliver(mr({ action: 'close', updatedAt: '2026-01-17 10:00:00 UTC' }));
    await harness.deliver(mr({ action: 'reopen', updatedAt: '2026-01-17 11:00:00 UTC' }));
    await harness.deliver(mr({ action: 'close', updatedAt: '2026-01-18 10:00:00 UTC' }));
    await harness.deliver(mr({ action: 'reopen', updatedAt: '2026-01-18 11:00:00 UTC' }));
    const replies = harness.slack.replies(parent.ts).map((reply) => reply.text);
    expect(replies).toHaveLength(4);
    expect(replies[0]).toContain(`Merge request !${iid} closed`);
    expect(replies[3]).toContain(`Merge request !${iid} reopened`);
    expect(statusLine({ blocks: parent.blocks })).toBe(':large_green_circle: *Open*');
  });

  it('one approval among several required: a reply, the status line stays', async () => {
    await harness.deliver(mr());
    const { record } = await harness.deliver(mr({ action: 'approval', user: SIDNEY }));
    expect(posts()).toHaveLength(2);
    expect(updates()).toHaveLength(0);
    expect(record.outcomes).toEqual([
      expect.objectContaining({ key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:approved:20260116055626:25`, status: 'sent' }),
    ]);
  });

  it('an approval that arrives after the merge does not move the status line back', async () => {
    await harness.deliver(mr());
    await harness.deliver(mr({ action: 'merge', user: SIDNEY, updatedAt: '2026-01-16 07:00:00 UTC' }));
    const late = await harness.deliver(mr({ action: 'approved', user: SIDNEY, updatedAt: '2026-01-16 06:30:00 UTC' }));
    expect(late.record.outcomes[1]).toMatchObject({ status: 'skipped', reason: 'message already shows the merge request as merged' });
    expect(updates()).toHaveLength(1);
  });

  it('merged with no earlier message (MR older than the bridge): a standalone message, then the thread', async () => {
    const merged = mr({ action: 'merge', user: SIDNEY });
    const { record } = await harness.deliver(merged);
    expect(posts()).toHaveLength(1);
    const params = posts()[0]!.params;
    expect(params.thread_ts).toBeUndefined();
    expect(statusLine(params)).toBe(':large_purple_circle: *Merged* by Sidney Jones');
    expect(params.text).toContain(`Merge request !${iid} merged`);
    expect(record.outcomes[0]).toMatchObject({
      key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:merged`,
      status: 'sent',
      summary: `MR !${iid} merged message (no earlier message to thread under)`,
    });

    // Redelivered: nothing new, not even an update of its own message.
    const again = await harness.deliver(merged);
    expect(again.record.outcomes).toEqual([expect.objectContaining({ status: 'skipped' })]);
    expect(harness.slack.calls).toHaveLength(1);

    // A late `open` does not start a second top-level message.
    const open = await harness.deliver(mr());
    expect(open.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('already has a message') });
    expect(harness.slack.channelMessages(CHANNEL)).toHaveLength(1);
  });
});

describe('merge request filters', () => {
  it('updates that are not notified actions are skipped with the reason', async () => {
    const { record } = await harness.deliver(mr({ action: 'update' }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'merge request update: not an action that notifies' });
  });

  it('actions left out of mergeRequestActions are skipped', async () => {
    harness.configure({ routes: [{ ...route, options: { mergeRequestActions: ['opened', 'merged'] } }] });
    const { record } = await harness.deliver(mr({ action: 'approved', user: SIDNEY }));
    expect(posts()).toHaveLength(0);
    expect(record.outcomes[0]?.reason).toBe('merge request approved: not in mergeRequestActions of the matching routes');
  });

  it('skipDraftMergeRequests: a draft stays quiet until it is marked ready', async () => {
    harness.configure({ routes: [{ ...route, options: { skipDraftMergeRequests: true } }] });
    const draft = await harness.deliver(mr({ draft: true, title: 'Draft: booking validation' }));
    expect(draft.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'draft merge request; skipDraftMergeRequests is on' });
    expect(posts()).toHaveLength(0);

    const ready = await harness.deliver(mr({ action: 'update', draft: false, markedReady: true, title: 'Booking validation' }));
    expect(ready.record.outcomes[0]).toMatchObject({ key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:opened`, status: 'sent' });
    expect(statusLine(posts()[0]!.params)).toBe(':large_green_circle: *Open*');

    const again = await harness.deliver(mr({ action: 'update', draft: false, markedReady: true, title: 'Booking validation' }));
    expect(again.record.outcomes).toEqual([
      expect.objectContaining({
        key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:opened`,
        status: 'skipped',
        reason: expect.stringMatching(/^already sent/),
      }),
    ]);
    expect(harness.slack.calls).toHaveLength(1);
  });

  it('drafts are announced as drafts by default', async () => {
    await harness.deliver(mr({ draft: true }));
    expect(statusLine(posts()[0]!.params)).toBe(':white_circle: *Draft*');
  });

  it('a draft marked ready: its message’s status line goes from Draft to Open, no second message', async () => {
    await harness.deliver(mr({ draft: true, title: 'Draft: booking validation' }));
    const parent = harness.slack.messages[0]!;
    const ready = mr({ action: 'update', draft: false, markedReady: true, title: 'Booking validation', updatedAt: '2026-01-16 08:00:00 UTC' });
    const { record } = await harness.deliver(ready);
    expect(harness.slack.channelMessages(CHANNEL)).toHaveLength(1);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]!.params).toMatchObject({ channel: parent.channel, ts: parent.ts });
    expect(statusLine(updates()[0]!.params)).toBe(':large_green_circle: *Open*');
    expect(wire(updates()[0]!.params)).toContain('|!' + iid + ' Booking validation>');
    expect(record.outcomes).toEqual([
      expect.objectContaining({ key: `slack:${CHANNEL}:mr:2@flightjs/flight-management:${iid}:ready:20260116080000:parent`, status: 'sent' }),
    ]);
    // Redelivered: nothing new.
    await harness.deliver(ready);
    expect(harness.slack.calls).toHaveLength(2);
  });
});
