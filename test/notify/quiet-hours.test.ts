import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestFlusher, type DigestState } from '../../lib/notify/digest.js';
import { breaksThrough, quietWindowAt, windowsEndedBetween } from '../../lib/notify/quiet-hours.js';
import { QuietHoursSchema, type RouteInput } from '../../lib/routing/schema.js';
import type { Credentials } from '../../lib/secrets/credentials.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { NotifyHarness } from './harness.js';

const berlin = QuietHoursSchema.parse({ timezone: 'Europe/Berlin', from: '19:00', to: '08:00' });
const at = (iso: string) => new Date(iso);

describe('quiet windows (Intl, no dependency)', () => {
  it.each([
    ['22:00 Berlin (winter, UTC+1) is quiet until 08:00 the next morning', '2026-11-30T21:00:00Z', '2026-12-01T07:00:00.000Z'],
    ['07:59 Berlin is still in the window that started the evening before', '2026-12-01T06:59:00Z', '2026-12-01T07:00:00.000Z'],
    ['19:00 Berlin starts a window', '2026-11-30T18:00:00Z', '2026-12-01T07:00:00.000Z'],
    ['summer time (UTC+2): 07:59 Berlin is 05:59 UTC', '2026-07-01T05:59:00Z', '2026-07-01T06:00:00.000Z'],
    ['the night clocks go forward ends at 08:00 CEST, 12 hours after 19:00 CET', '2026-03-28T20:00:00Z', '2026-03-29T06:00:00.000Z'],
  ])('%s', (_, now, end) => {
    expect(quietWindowAt(berlin, at(now))?.end.toISOString()).toBe(end);
  });

  it.each([
    ['08:00 Berlin ends the window', '2026-12-01T07:00:00Z'],
    ['18:59 Berlin is before it', '2026-11-30T17:59:00Z'],
  ])('%s', (_, now) => {
    expect(quietWindowAt(berlin, at(now))).toBeUndefined();
  });

  it('days name the weekday a window starts on: Friday night is quiet into Saturday, Saturday night is not', () => {
    const fridays = { ...berlin, days: ['fri' as const] };
    expect(quietWindowAt(fridays, at('2026-11-28T05:00:00Z'))?.start.toISOString()).toBe('2026-11-27T18:00:00.000Z');
    expect(quietWindowAt(fridays, at('2026-11-28T20:00:00Z'))).toBeUndefined();
  });

  it('a window within one day (12:00-14:00) does not cross midnight', () => {
    const lunch = QuietHoursSchema.parse({ timezone: 'UTC', from: '12:00', to: '14:00' });
    expect(quietWindowAt(lunch, at('2026-11-30T13:00:00Z'))?.end.toISOString()).toBe('2026-11-30T14:00:00.000Z');
    expect(quietWindowAt(lunch, at('2026-11-30T15:00:00Z'))).toBeUndefined();
  });

  it('lists the windows that ended in a span', () => {
    const ends = windowsEndedBetween(berlin, at('2026-11-28T08:00:00Z'), at('2026-11-30T07:00:00Z')).map((window) => window.end.toISOString());
    expect(ends).toEqual(['2026-11-29T07:00:00.000Z', '2026-11-30T07:00:00.000Z']);
  });

  it('refuses an unknown time zone and a malformed time with the field named', () => {
    expect(QuietHoursSchema.safeParse({ timezone: 'Mars/Olympus', from: '19:00', to: '08:00' }).error?.issues[0]?.message).toMatch(/unknown time zone/);
    expect(QuietHoursSchema.safeParse({ timezone: 'UTC', from: '7pm', to: '08:00' }).error?.issues[0]?.path).toEqual(['from']);
  });

  it.each([
    ['default', 'main', undefined, true],
    ['default', 'feature', true, false],
    ['protected', 'release', true, true],
    ['none', 'main', true, false],
  ] as const)('breakThrough %s: a failure on %s (protected %s) breaks through: %s', (rule, ref, isProtected, expected) => {
    const routes = [{ options: { quietHours: { ...berlin, breakThrough: rule } } }];
    expect(breaksThrough(routes, { ref, isTag: false, defaultBranch: 'main', isProtected })).toBe(expected);
  });
});

/** Held notices and the digest, over real wires: the worker on dynalite, the Slack and Teams stand-ins. */
const harness = new NotifyHarness();
// A channel per test: digests are per destination and window, and the tests share the window.
let CHANNEL = 'C0QUIET';
let clock = at('2026-11-30T16:00:00Z');
let projectId = 15_000;
let nextId = 80_000;

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  projectId += 1;
  nextId += 100;
  CHANNEL = `C0QUIET${projectId}`;
});

const quietHours = { timezone: 'Europe/Berlin', from: '19:00', to: '08:00' };
const posts = () => harness.slack.calls.filter((call) => call.method === 'chat.postMessage');

function configure(...routes: RouteInput[]) {
  const { config } = harness.configure({ routes });
  harness.workerDeps.now = () => clock;
  const credentials: Credentials = {
    slackBotToken: async () => harness.slack.token,
    teamsWebhooks: async () => ({ default: harness.teams.webhookUrl('default') }),
    jira: async () => undefined,
    gitlabApiToken: async () => undefined,
  };
  const flush = digestFlusher({ config, credentials, state: harness.state });
  if (!flush) throw new Error('no route has quiet hours');
  return (now: string) => flush(at(now));
}

const pipeline = (spec: Parameters<typeof pipelineEvent>[0]) => pipelineEvent({ projectId, projectPath: 'acme/api', defaultBranch: 'main', ...spec });

describe('quiet hours', () => {
  it('holds MR and recovery notices and other failures, lets a default-branch failure through, and posts one digest at the end', async () => {
    const flush = configure({ events: ['pipeline', 'merge_request'], branches: 'all', slack: { channel: CHANNEL }, options: { quietHours } });

    // 17:00 Berlin: not quiet, the failure on a branch posts.
    clock = at('2026-11-30T16:00:00Z');
    await harness.deliver(pipeline({ id: nextId, ref: 'feature' }));
    expect(posts()).toHaveLength(1);

    // 22:00 Berlin: the MR is held.
    clock = at('2026-11-30T21:00:00Z');
    const opened = await harness.deliver(mergeRequestEvent({ projectId, projectPath: 'acme/api', iid: nextId, title: 'Add quiet hours' }));
    expect(opened.record.status).toBe('done');
    expect(opened.record.outcomes).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'held for the digest until 08:00 Europe/Berlin', target: CHANNEL }),
    ]);

    // 22:30: the branch recovers; the recovery is held and the ref is green.
    clock = at('2026-11-30T21:30:00Z');
    const recovered = await harness.deliver(pipeline({ id: nextId + 1, ref: 'feature', status: 'success' }));
    expect(recovered.record.outcomes).toEqual([expect.objectContaining({ status: 'skipped', reason: 'held for the digest until 08:00 Europe/Berlin' })]);

    // 23:00: a failure on the default branch breaks through; one on a branch is held.
    clock = at('2026-11-30T22:00:00Z');
    const onMain = await harness.deliver(pipeline({ id: nextId + 2, ref: 'main' }));
    expect(onMain.record.outcomes[0]).toMatchObject({ status: 'sent' });
    const onBranch = await harness.deliver(pipeline({ id: nextId + 3, ref: 'feature' }));
    expect(onBranch.record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'held for the digest until 08:00 Europe/Berlin' });
    expect(posts()).toHaveLength(2);

    // A replay, even a forced one, lists the held MR once.
    await harness.run(opened.id, { replay: true });
    await harness.run(opened.id, { replay: true, force: true });

    expect(await flush('2026-12-01T06:59:00Z')).toBe(0);
    expect(posts()).toHaveLength(2);

    expect(await flush('2026-12-01T07:00:00Z')).toBe(1);
    expect(posts()).toHaveLength(3);
    const digest = posts()[2]!.params;
    expect(digest.channel).toBe(CHANNEL);
    expect(digest.text).toBe('🌙 3 notices held during quiet hours');
    const listed = JSON.stringify(digest.blocks);
    expect(listed.match(/Add quiet hours/g)).toHaveLength(1);
    expect(listed).toContain(`<https://gitlab.example.com/acme/api/-/merge_requests/${nextId}|MR !${nextId} opened: Add quiet hours (acme/api)`);
    expect(listed).toContain(`/acme/api/-/pipelines/${nextId + 1}|pipeline #${nextId + 1} on branch feature passed again after #${nextId} (acme/api)>`);
    expect(listed).toContain(`/acme/api/-/pipelines/${nextId + 3}|pipeline #${nextId + 3} failed on branch feature (acme/api)>`);
    expect(listed).toContain('Quiet hours ended at 08:00 Europe/Berlin.');

    expect(await flush('2026-12-01T07:05:00Z')).toBe(0);
    expect(posts()).toHaveLength(3);
    const state = await harness.state.get<DigestState>(`digest:slack:${CHANNEL}:2026-12-01T07:00:00.000Z`);
    expect(state?.postedAt).toBe('2026-12-01T07:00:00.000Z');
  });

  it('a held recovery leaves the ref green: its next failure is a new top-level notice, not a reply', async () => {
    configure({ events: ['pipeline'], branches: 'all', slack: { channel: CHANNEL }, options: { quietHours } });
    clock = at('2026-11-30T16:00:00Z');
    await harness.deliver(pipeline({ id: nextId, ref: 'feature' }));
    clock = at('2026-11-30T21:00:00Z');
    await harness.deliver(pipeline({ id: nextId + 1, ref: 'feature', status: 'success' }));
    clock = at('2026-12-01T09:00:00Z');
    await harness.deliver(pipeline({ id: nextId + 2, ref: 'feature' }));
    expect(posts()).toHaveLength(2);
    expect(posts()[1]!.params.thread_ts).toBeUndefined();
  });

  it('breakThrough "none" holds default-branch failures too', async () => {
    const flush = configure({ events: ['pipeline'], slack: { channel: CHANNEL }, options: { quietHours: { ...quietHours, breakThrough: 'none' } } });
    clock = at('2026-11-30T22:00:00Z');
    const { record } = await harness.deliver(pipeline({ id: nextId, ref: 'main' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'held for the digest until 08:00 Europe/Berlin' });
    expect(posts()).toHaveLength(0);
    expect(await flush('2026-12-01T07:00:00Z')).toBe(1);
    expect(posts()).toHaveLength(1);
  });

  it('a destination another route sends to without quiet hours gets its notices at once', async () => {
    configure({ events: ['merge_request'], slack: { channel: CHANNEL }, options: { quietHours } }, { events: ['merge_request'], slack: { channel: CHANNEL } });
    clock = at('2026-11-30T21:00:00Z');
    const { record } = await harness.deliver(mergeRequestEvent({ projectId, iid: nextId }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
  });

  it('a notice held after its digest went out (a late retry) is posted as a digest of its own, not lost', async () => {
    configure({ events: ['merge_request'], slack: { channel: CHANNEL }, options: { quietHours } });
    await harness.state.put<DigestState>(`digest:slack:${CHANNEL}:2026-12-01T07:00:00.000Z`, {
      target: { kind: 'slack', channel: CHANNEL },
      end: '2026-12-01T07:00:00.000Z',
      endLabel: '08:00 Europe/Berlin',
      items: [],
      postedAt: '2026-12-01T07:00:00.000Z',
    });
    clock = at('2026-11-30T23:00:00Z');
    const { record } = await harness.deliver(mergeRequestEvent({ projectId, iid: nextId, title: 'Late one' }));
    expect(record.outcomes[0]).toMatchObject({
      status: 'skipped',
      reason: 'held for the digest until 08:00 Europe/Berlin, which was already posted: sent as a digest of its own',
    });
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.params.text).toBe('🌙 1 notice held during quiet hours');
    expect(JSON.stringify(posts()[0]!.params.blocks)).toContain('Late one');
  });

  it('Teams: the held MR arrives in one digest card at the end of the window', async () => {
    const flush = configure({ events: ['merge_request'], teams: { webhook: 'default' }, options: { quietHours } });
    clock = at('2026-11-30T21:00:00Z');
    await harness.deliver(mergeRequestEvent({ projectId, projectPath: 'acme/web', iid: nextId, title: 'Teams *digest*' }));
    expect(harness.teams.posts).toHaveLength(0);
    expect(await flush('2026-12-01T07:00:00Z')).toBe(1);
    expect(await flush('2026-12-01T07:01:00Z')).toBe(0);
    expect(harness.teams.posts).toHaveLength(1);
    const body = JSON.stringify(harness.teams.posts[0]!.body);
    expect(body).toContain('1 notice held during quiet hours');
    expect(body).toContain(`[MR !${nextId} opened: Teams \\\\*digest\\\\* (acme/web), by`);
    expect(body).toContain(`(https://gitlab.example.com/acme/web/-/merge_requests/${nextId})`);
  });
});
