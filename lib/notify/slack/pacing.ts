import { randomUUID } from 'node:crypto';
import { DownstreamRateLimited } from '../../errors.js';
import type { StateStore } from '../../state/store.js';
import { SLACK } from './slack-sender.js';

/**
 * Slack's pace for posting: "no more than one message per second" to a channel, "short bursts
 * of more than 1 allowed" (Slack API docs, chat.postMessage "Rate limiting"). Thread replies
 * count: they are messages in the channel. Modelled as a token bucket of `burst` tokens that
 * refills one a second.
 */
export interface SlackPace {
  /** Posts a channel may take at once after a quiet spell. */
  burst: number;
  /** How far ahead a post may book a second before it goes back to the queue instead of waiting. */
  maxWaitSeconds: number;
}

export const SLACK_PACE: SlackPace = { burst: 3, maxWaitSeconds: 8 };

/**
 * One slot key per channel and second, modulo this: a slot is usable for `burst` seconds, so
 * 60 keys per channel are reused forever instead of one item per second.
 */
const SLOT_KEYS = 60;

/** Channels a pacer remembers its latest slot for; past it, it forgets them all (and probes again). */
const MAX_REMEMBERED_CHANNELS = 1000;

/**
 * Spaces chat.postMessage calls per channel across every worker, with the state store's
 * conditional write (`reserve`): second `s` of a channel is one slot key; a post takes the first
 * free slot among the last `burst - 1` seconds, this one and the next `maxWaitSeconds`, and waits
 * for its second to come. A slot of a past second not taken is a token saved for a burst; one
 * older than `burst` seconds has lapsed. Taking a slot is a lease that runs out `burst` seconds
 * after its second, so the key is free again for the second `SLOT_KEYS` later.
 *
 * Holds across concurrent Lambdas as far as their clocks agree (a second or so of skew lets a
 * little more through). A channel is paced by its id once a post has told this pacer the id of
 * the name a route gives it (`learn`), so top-level notices (by name) and thread replies (by id)
 * share one pace; a worker's first post by name, before it knows the id, is paced under the name. Whatever still gets through too fast is
 * Slack's 429, whose Retry-After puts the delivery back on the queue.
 */
export class SlackPacer {
  /**
   * Per channel, the latest slot this pacer took. Every slot from the oldest a post may use up
   * to that one is booked (each take books the first free one in order, and a booked slot stays
   * so while a post may use it): a take starts after it instead of paying a failed conditional
   * write (1 write unit) for each. A warm worker posting to a busy channel skips most of them.
   */
  private readonly taken = new Map<string, number>();

  /**
   * A channel's id by the name a route gives it (`#ci` -> `C0123`), learned from Slack's answer to
   * a post: top-level notices name the channel as the route does, thread replies use the id the
   * parent's post returned, and both are one channel's pace. A post by name before this pacer
   * has learned the id is paced under the name.
   */
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly state: StateStore,
    private readonly pace: SlackPace = SLACK_PACE,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when `channel` may take one more message; throws DownstreamRateLimited when its next free second is too far. */
  async take(named: string): Promise<void> {
    const channel = this.ids.get(named) ?? named;
    const owner = randomUUID();
    const now = this.clock();
    const second = Math.floor(now / 1000);
    const { burst, maxWaitSeconds } = this.pace;
    const first = Math.max(second - (burst - 1), (this.taken.get(channel) ?? -Infinity) + 1);
    for (let slot = first; slot <= second + maxWaitSeconds; slot += 1) {
      const key = `slack-pace:${channel}:${((slot % SLOT_KEYS) + SLOT_KEYS) % SLOT_KEYS}`;
      // Held until the slot lapses (`burst` seconds after its second), whole seconds.
      const lease = Math.max(1, slot + burst - second);
      if (await this.state.reserve(key, owner, lease)) {
        // Concurrent takes on this pacer: keep the latest (every slot below it is booked too).
        if (this.taken.size >= MAX_REMEMBERED_CHANNELS) this.taken.clear();
        this.taken.set(channel, Math.max(slot, this.taken.get(channel) ?? -Infinity));
        const wait = slot * 1000 - this.clock();
        if (wait > 0) await this.sleep(wait);
        return;
      }
    }
    throw new DownstreamRateLimited(
      SLACK,
      maxWaitSeconds * 1000,
      `Slack channel ${named} has its next ${maxWaitSeconds} s of posts booked (about 1 message a second); retrying later`,
    );
  }

  /** Slack answered a post to `named` from channel `id`: later posts by either name share one pace. */
  learn(named: string, id: string): void {
    if (!id || named === id || this.ids.get(named) === id) return;
    if (this.ids.size >= MAX_REMEMBERED_CHANNELS) this.ids.clear();
    this.ids.set(named, id);
  }
}
