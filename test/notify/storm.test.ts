import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { refFailureKey, type RefFailureState } from '../../lib/notify/pipeline-actions.js';
import { stormKey, type RollupState } from '../../lib/notify/rollup.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import type { DeliveryResult } from '../../lib/worker/process-delivery.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { NotifyHarness } from './harness.js';

/**
 * Storm folding (issue 14): past `storm.threshold` top-level failure notices within the window,
 * failures fold into one rollup message updated in place, recoveries mark its lines, replays
 * change nothing, and Slack's 429s lose and double nothing. End to end: the worker on dynalite,
 * the real Slack client against the Slack stand-in, posts paced per channel.
 */
const harness = new NotifyHarness();
const wire = (value: unknown) => JSON.stringify(value);

beforeAll(() => harness.start());
afterAll(() => harness.stop());

let channelSeq = 0;
let channel = '';
let idBase = 500_000;
const route = (storm: { threshold?: number; windowSeconds?: number }): RouteInput => ({
  name: 'acme',
  projects: ['acme/*'],
  events: ['pipeline'],
  branches: 'all',
  slack: { channel },
  options: { storm },
});

beforeEach(() => {
  harness.slack.reset();
  harness.stateUnits = [];
  channelSeq += 1;
  channel = `C0STORM${channelSeq}`;
  idBase += 1000;
});

interface Failure {
  project: number;
  ref: string;
  id: number;
}
const projectPath = (project: number) => `acme/service-${project}`;
const failedEvent = (failure: Failure) =>
  pipelineEvent({ projectId: 7000 + failure.project, projectPath: projectPath(failure.project), id: failure.id, ref: failure.ref, failedJobs: 1 });
const passedEvent = (failure: Failure, id: number) =>
  pipelineEvent({ projectId: 7000 + failure.project, projectPath: projectPath(failure.project), id, ref: failure.ref, status: 'success', failedJobs: [] });
const pipelineUrl = (failure: Failure) => `https://gitlab.example.com/${projectPath(failure.project)}/-/pipelines/${failure.id}`;

/** Runs a stored delivery as the queue would: again after each retryable failure (a 429, a busy lock). */
async function runToEnd(id: string): Promise<DeliveryResult> {
  for (let attempt = 1; ; attempt += 1) {
    const result = await harness.run(id, { attempt });
    if (result.kind !== 'retry' || attempt >= 8) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.min(result.retryAfterMs ?? 50, 1000)));
  }
}

async function deliverAll(payloads: Array<Record<string, unknown>>, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < payloads.length; start += concurrency) {
    const batch = await Promise.all(
      payloads.slice(start, start + concurrency).map(async (payload) => {
        const id = await harness.storeDelivery(payload);
        await runToEnd(id);
        return id;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

const topLevel = () => harness.slack.channelMessages(channel);
const rollupMessages = () => topLevel().filter((message) => message.text.includes('failing in'));
const noticeOf = (failure: Failure) =>
  topLevel().filter((message) => wire(message.blocks).includes(`/-/pipelines/${failure.id}|`) && !message.text.includes('failing in'));

describe('storm folding', () => {
  it('folds 30 failures from 10 projects into at most threshold + 1 top-level posts, listing all 30 with links and marking recoveries', async () => {
    harness.configure({ routes: [route({})] });
    const failures: Failure[] = [];
    for (let n = 0; n < 30; n += 1) failures.push({ project: n % 10, ref: `feature-${Math.floor(n / 10)}`, id: idBase + n });
    const ids = await deliverAll(failures.map(failedEvent), 5);

    // 5 notices of their own and one rollup.
    expect(topLevel()).toHaveLength(6);
    const [rollup] = rollupMessages();
    expect(rollup).toBeDefined();
    const shown = wire(rollup!.blocks);
    for (const failure of failures) expect(shown).toContain(`<${pipelineUrl(failure)}|#${failure.id}>`);
    expect(shown.match(/• /g)).toHaveLength(30);
    expect(rollup!.text).toContain('30 pipelines failing in acme/*');

    // Each folded delivery is done and names the rollup message; the others their own notice.
    const records = await Promise.all(ids.map((id) => harness.store.get(id)));
    const folded = records.filter((record) => record?.outcomes.some((outcome) => outcome.result?.rollup));
    expect(folded).toHaveLength(25);
    for (const record of records) expect(record?.status).toBe('done');
    for (const record of folded) {
      const outcome = record!.outcomes.find((entry) => entry.key.includes(':failed'))!;
      expect(outcome).toMatchObject({ status: 'sent', result: { ts: rollup!.ts, channel } });
    }

    // A replay of a folded delivery changes nothing at Slack.
    const calls = harness.slack.calls.length;
    await harness.run(folded[0]!.id, { replay: true });
    expect(harness.slack.calls.length).toBe(calls);

    // Recoveries: two folded refs and one that had its own notice.
    const postedFailure = failures.find((failure) => noticeOf(failure).length === 1)!;
    const foldedFailures = failures.filter((failure) => noticeOf(failure).length === 0).slice(0, 2);
    const recoveries = [...foldedFailures, postedFailure].map((failure, n) => ({ failure, greenId: idBase + 500 + n }));
    await deliverAll(
      recoveries.map(({ failure, greenId }) => passedEvent(failure, greenId)),
      1,
    );
    const after = wire(harness.slack.messages.find((message) => message.ts === rollup!.ts)!.blocks);
    for (const { failure, greenId } of recoveries) {
      const line = after.split('\\n').find((text) => text.includes(`|#${failure.id}>`));
      expect(line).toContain(`fixed by <https://gitlab.example.com/${projectPath(failure.project)}/-/pipelines/${greenId}|#${greenId}>`);
    }
    // Folded refs recover in the rollup only; the posted one also in its thread. No new top-level post.
    expect(topLevel()).toHaveLength(6);
    expect(harness.slack.replies(noticeOf(postedFailure)[0]!.ts).some((reply) => reply.text.startsWith('Fixed: pipeline #'))).toBe(true);
    const streak = await harness.state.get<RefFailureState>(
      refFailureKey(`slack:${channel}`, `${7000 + foldedFailures[0]!.project}@${projectPath(foldedFailures[0]!.project)}`, foldedFailures[0]!.ref),
    );
    expect(streak?.resolvedBy).toBe(recoveries[0]!.greenId);
  }, 90_000);

  it('lists every failure of a storm of 3 pipelines on main in 10 projects, threads kept for refs posted before it', async () => {
    harness.configure({ routes: [route({})] });
    const failures = Array.from({ length: 30 }, (_, n): Failure => ({ project: n % 10, ref: 'main', id: idBase + n }));
    await deliverAll(failures.map(failedEvent), 5);
    expect(topLevel()).toHaveLength(6);
    const shown = wire(rollupMessages()[0]!.blocks);
    for (const failure of failures) expect(shown.split(`<${pipelineUrl(failure)}|#${failure.id}>`).length - 1).toBe(1);
    // The refs posted before the storm keep their threads: their later failures are replies there.
    const posted = topLevel().filter((message) => !message.text.includes('failing in'));
    for (const notice of posted) expect(harness.slack.replies(notice.ts)).toHaveLength(2);
  }, 90_000);

  it('folds a later failure of a folded ref into the rollup instead of posting it', async () => {
    harness.configure({ routes: [route({ threshold: 1 })] });
    const first: Failure = { project: 1, ref: 'main', id: idBase + 1 };
    const other: Failure = { project: 2, ref: 'main', id: idBase + 2 };
    const again: Failure = { ...other, id: idBase + 3 };
    await deliverAll([first, other, again].map(failedEvent), 1);
    expect(topLevel()).toHaveLength(2);
    const shown = wire(rollupMessages()[0]!.blocks);
    expect(shown).toContain(`|#${other.id}>`);
    expect(shown).toContain(`|#${again.id}>`);
    // The first notice was posted before the storm: listed too, marked as a notice of its own.
    expect(shown).toMatch(new RegExp(`#${first.id}>[^"]*own notice`));
  }, 30_000);

  it('keeps a folded failure in its rollup when its retry comes after the window closed', async () => {
    harness.configure({ routes: [route({ threshold: 1, windowSeconds: 10 })] });
    const first: Failure = { project: 1, ref: 'main', id: idBase + 1 };
    const folded: Failure = { project: 2, ref: 'main', id: idBase + 2 };
    await deliverAll([failedEvent(first)], 1);
    // The rollup's first post is refused: the failure's line is stored, its delivery goes back to the queue.
    harness.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 11 });
    const id = await harness.storeDelivery(failedEvent(folded));
    expect((await harness.run(id)).kind).toBe('retry');
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect((await harness.run(id, { attempt: 2 })).kind).toBe('finished');
    expect(noticeOf(folded)).toHaveLength(0);
    expect(wire(rollupMessages()[0]?.blocks)).toContain(`|#${folded.id}>`);
  }, 30_000);

  it('rewrites a rollup of 30 failures from 30 projects and its storm record at 1 write unit each (compressed past 1 KB)', async () => {
    harness.configure({ routes: [route({ threshold: 3 })] });
    const failures = Array.from({ length: 30 }, (_, n): Failure => ({ project: 100 + n, ref: 'main', id: idBase + n }));
    await deliverAll(failures.map(failedEvent), 5);
    const shown = wire(rollupMessages()[0]!.blocks);
    for (const failure of failures) expect(shown.split(`<${pipelineUrl(failure)}|#${failure.id}>`).length - 1).toBe(1);
    const writes = harness.stateUnits.filter((entry) => entry.operation === 'put' && /:(storm|rollup:\d+)$/.test(entry.key));
    // Every fold rewrites the rollup: 27 lines of about 330 bytes each took 9 units a write before.
    expect(writes.filter((entry) => entry.key.includes(':rollup:')).length).toBeGreaterThanOrEqual(27);
    expect(writes.map((entry) => entry.units)).toEqual(writes.map(() => 1));
  }, 90_000);

  it('leaves a past rollup that never listed the ref alone when the ref recovers: no lock taken on it', async () => {
    harness.configure({ routes: [route({ threshold: 3 })] });
    const target = `slack:${channel}`;
    const other: Failure = { project: 9, ref: 'main', id: idBase + 9 };
    const otherKey = refFailureKey(target, `${7000 + other.project}@${projectPath(other.project)}`, other.ref);
    // A storm earlier at this channel: its rollup lists another ref only.
    const past = `${target}:rollup:${Date.now() - 600_000}`;
    await harness.state.put<RollupState>(past, {
      channel,
      lines: [
        {
          effect: `${target}:pipeline:other`,
          streak: otherKey,
          projectPath: projectPath(other.project),
          projectUrl: `https://gitlab.example.com/${projectPath(other.project)}`,
          ref: other.ref,
          refUrl: `https://gitlab.example.com/${projectPath(other.project)}/-/tree/main`,
          pipelineId: other.id,
          pipelineUrl: pipelineUrl(other),
        },
      ],
    });
    await harness.state.put(stormKey(target), { posted: [], rollups: [past] });
    const failure: Failure = { project: 1, ref: 'main', id: idBase + 1 };
    await deliverAll([failedEvent(failure)], 1);
    expect(noticeOf(failure)).toHaveLength(1);
    harness.stateUnits = [];
    await deliverAll([passedEvent(failure, idBase + 2)], 1);
    expect(harness.slack.replies(noticeOf(failure)[0]!.ts).some((reply) => reply.text.startsWith('Fixed: pipeline #'))).toBe(true);
    expect(harness.stateUnits.filter((entry) => entry.key === `${past}:lock`)).toEqual([]);
    expect((await harness.state.get<RollupState>(past))?.lines[0]?.fixedBy).toBeUndefined();
  }, 30_000);

  it('folds the 6th failure when the route sets no storm: on by default, 5 notices in 120 s', async () => {
    harness.configure({ routes: [{ ...route({}), options: {} }] });
    const failures = Array.from({ length: 6 }, (_, n): Failure => ({ project: n, ref: 'main', id: idBase + n }));
    await deliverAll(failures.map(failedEvent), 1);
    for (const failure of failures.slice(0, 5)) expect(noticeOf(failure)).toHaveLength(1);
    expect(noticeOf(failures[5]!)).toHaveLength(0);
    expect(topLevel()).toHaveLength(6);
    expect(rollupMessages()).toHaveLength(1);
    expect(wire(rollupMessages()[0]!.blocks)).toContain(`|#${failures[5]!.id}>`);
  }, 30_000);

  it('posts every failure when the route sets storm: false', async () => {
    harness.configure({ routes: [{ ...route({}), options: { storm: false } }] });
    const failures = Array.from({ length: 8 }, (_, n): Failure => ({ project: n, ref: 'main', id: idBase + n }));
    await deliverAll(failures.map(failedEvent), 4);
    expect(topLevel()).toHaveLength(8);
    expect(rollupMessages()).toHaveLength(0);
  }, 30_000);

  it('storm: false on one of two routes sending to a channel turns folding off there', async () => {
    harness.configure({ routes: [route({ threshold: 2 }), { ...route({}), name: 'quiet', options: { storm: false } }] });
    const failures = Array.from({ length: 4 }, (_, n): Failure => ({ project: n, ref: 'main', id: idBase + n }));
    await deliverAll(failures.map(failedEvent), 1);
    expect(topLevel()).toHaveLength(4);
    expect(rollupMessages()).toHaveLength(0);
  }, 30_000);

  it('loses and doubles nothing when Slack answers bursts with 429 and Retry-After', async () => {
    harness.configure({ routes: [route({ threshold: 3 })] });
    harness.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, 2);
    harness.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 1 }, 2);
    const failures = Array.from({ length: 12 }, (_, n): Failure => ({ project: n % 4, ref: `fix-${n}`, id: idBase + n }));
    const ids = await deliverAll(failures.map(failedEvent), 4);
    for (const id of ids) expect((await harness.store.get(id))?.status).toBe('done');
    // Both 429s were answered, and each refused post was made again once: calls = messages + 2.
    const posts = harness.slack.calls.filter((call) => call.method === 'chat.postMessage');
    expect(posts).toHaveLength(harness.slack.messages.length + 2);
    expect(topLevel()).toHaveLength(4);
    expect(rollupMessages()).toHaveLength(1);
    const shown = wire(rollupMessages()[0]!.blocks);
    for (const failure of failures) {
      expect(shown.split(`|#${failure.id}>`).length - 1).toBe(1);
      expect(noticeOf(failure).length).toBeLessThanOrEqual(1);
    }
    const stored = await harness.state.get<RollupState>(rollupKeyOf(ids, await Promise.all(ids.map((id) => harness.store.get(id)))));
    expect(stored?.lines).toHaveLength(12);
  }, 60_000);
});

function rollupKeyOf(_ids: string[], records: Array<Awaited<ReturnType<NotifyHarness['store']['get']>>>): string {
  const key = records.flatMap((record) => record?.outcomes ?? []).find((outcome) => outcome.result?.rollup)?.result?.rollup;
  if (!key) throw new Error('no folded delivery');
  return key;
}
