import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownstreamRateLimited } from '../../lib/errors.js';
import { Outlets } from '../../lib/notify/outlets.js';
import { SlackPacer } from '../../lib/notify/slack/pacing.js';
import type { SlackMessage } from '../../lib/notify/slack/block-kit.js';
import type { Credentials } from '../../lib/secrets/credentials.js';
import { unsentOutlet } from '../../lib/secrets/unsent.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { startTestTable } from '../support/local-aws.js';
import { bookedPaceSlots } from '../support/pace-slots.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * Slack's per-channel pace (about one message a second, bursts of up to 3): posts through the
 * Outlets are spaced per channel with slots booked in DynamoDB (dynalite here), so two workers
 * sharing the table share the pace. The real Slack client posts to the Slack stand-in.
 */
let table: Awaited<ReturnType<typeof startTestTable>>;
let slack: SlackServer;
let state: DynamoDbStateStore;

beforeAll(async () => {
  table = await startTestTable();
  slack = await startSlackServer();
  state = new DynamoDbStateStore(table.client, table.tableName);
});
afterAll(() => Promise.all([slack?.close(), table?.close()]));
beforeEach(() => slack.reset());

const credentials = (): Credentials => ({
  slackBotToken: async () => slack.token,
  teamsWebhooks: async () => ({}),
  jira: async () => undefined,
  gitlabApiToken: async () => undefined,
});
/** A worker's outlets (one per Lambda container), paced through the shared table. */
const worker = () => new Outlets(credentials(), { slack: { apiUrl: slack.apiUrl }, unsent: unsentOutlet(undefined) }).pacedBy(state);
const note = (text: string): SlackMessage => ({ text, blocks: [] });
let seq = 0;
const freshChannel = () => `C0PACE${(seq += 1)}`;

describe('Slack per-channel pacing', () => {
  it('lets a burst of 3 through at once, then spaces posts to a channel a second apart, across workers', async () => {
    const channel = freshChannel();
    const [one, two] = [worker(), worker()];
    const started = Date.now();
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, n) => (n % 2 === 0 ? one : two).slackPost(channel, note(`m${n}`)).then(() => done.push(Date.now() - started))),
    );
    done.sort((a, b) => a - b);
    // Slots: this second and the two before it (the burst), then the next three seconds.
    expect(done[5]!).toBeGreaterThanOrEqual(2000);
    expect(done[2]!).toBeLessThan(1500);
    // Nothing lost, nothing doubled.
    expect(
      slack
        .channelMessages(channel)
        .map((message) => message.text)
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('paces a channel named by a route and the same channel by id (thread replies) as one', async () => {
    const named = `#pace-named-${(seq += 1)}`;
    const id = slack.channelId(named);
    const outlets = worker();
    const parent = await outlets.slackPost(named, note('parent'));
    await outlets.slackPost(id, note('reply'), parent.result?.ts);
    await outlets.slackPost(named, note('next notice'));
    // The first post, before Slack told the id, under the name; the two after it under the id.
    expect(await bookedPaceSlots(table, named)).toBe(1);
    expect(await bookedPaceSlots(table, id)).toBe(2);
  });

  it('paces each channel on its own', async () => {
    const [a, b] = [freshChannel(), freshChannel()];
    const outlets = worker();
    const started = Date.now();
    await Promise.all([a, a, a, b, b, b].map((channel, n) => outlets.slackPost(channel, note(`m${n}`))));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(slack.messages).toHaveLength(6);
  });

  it('sends a post back to the queue when the channel is booked beyond the longest wait', async () => {
    const channel = freshChannel();
    const pacer = new SlackPacer(state, { burst: 3, maxWaitSeconds: 1 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => pacer.take(channel)));
    const refused = results.filter((result) => result.status === 'rejected');
    // 3 burst slots and the next second's: the others would wait too long.
    expect(results.filter((result) => result.status === 'fulfilled').length).toBeLessThanOrEqual(5);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DownstreamRateLimited);
  });

  it('books the same slots, without a failed conditional write for the slots its own earlier posts took', async () => {
    const channel = freshChannel();
    const reserves: Array<{ key: string; units: number }> = [];
    const metered = new DynamoDbStateStore(table.client, table.tableName, Date.now, (operation, units, key) => {
      if (operation === 'reserve') reserves.push({ key, units });
    });
    // One clock, stopped at a second: waits are recorded, not slept.
    const at = Date.parse('2026-11-30T12:00:00Z');
    const waits: number[] = [];
    const pacer = () =>
      new SlackPacer(
        metered,
        { burst: 3, maxWaitSeconds: 8 },
        () => at,
        async (ms) => void waits.push(ms),
      );
    const one = pacer();
    for (let n = 0; n < 4; n += 1) await one.take(channel);
    // The two saved seconds, this one, then the next: one conditional write each (0 + 1 + 2 + 3 failed ones before).
    expect(reserves).toHaveLength(4);
    expect(waits).toEqual([1000]);
    // Another worker still finds them booked and takes the second after.
    await pacer().take(channel);
    expect(waits).toEqual([1000, 2000]);
    expect(reserves.filter((entry) => entry.units === 1)).toHaveLength(reserves.length);
  });
});
