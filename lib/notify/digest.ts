import { randomUUID } from 'node:crypto';
import { BridgeError } from '../errors.js';
import type { BridgeConfig } from '../config/schema.js';
import type { BridgeLogger } from '../logger.js';
import type { Credentials } from '../secrets/credentials.js';
import type { Route } from '../routing/schema.js';
import { withStateLock } from '../state/lock.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlannedAction } from '../worker/action.js';
import type { DigestItem } from './digest-content.js';
import { configuredOutlets, Outlets } from './outlets.js';
import { quietWindowAt, windowsEndedBetween } from './quiet-hours.js';
import { formatDigest } from './slack/digest.js';
import { targetsOf, type Target, type TargetRoutes } from './targets.js';
import { digestCard } from './teams/digest.js';

export type { DigestItem } from './digest-content.js';

/** The state item of one destination's digest for one quiet window (`digest:<destination>:<end ISO>`). */
export interface DigestState {
  target: Target;
  /** The window's end, ISO. */
  end: string;
  endLabel: string;
  items: DigestItem[];
  /** Held notices beyond MAX_ITEMS: counted, not listed. */
  more?: number;
  postedAt?: string;
}

/** Where a destination's notices go during quiet hours: the digest of the current window. */
export interface QuietHold {
  digestKey: string;
  end: Date;
  /** `08:00 Europe/Berlin`. */
  endLabel: string;
  /** `held for the digest until 08:00 Europe/Berlin`: the held action's outcome reason. */
  reason: string;
}

/**
 * A state item stays under DynamoDB's 400 KB: 200 items of at most ~1 KB. A quiet night that
 * holds more lists the first 200 and counts the rest.
 */
const MAX_ITEMS = 200;
const MAX_TEXT = 300;
const MAX_URL = 600;
/** A digest's lock covers a read, a post with Slack's retries (3 x 5 s) and a write. */
const LOCK_LEASE_SECONDS = 60;
const LOCK_WAIT = { attempts: 20, intervalMs: 250 };
/** How far back a flush looks for windows that ended: a timer that was down for a day still posts. */
const FLUSH_LOOKBACK_MS = 48 * 3_600_000;

export function digestKey(target: { id: string }, end: Date): string {
  return `digest:${target.id}:${end.toISOString()}`;
}

/**
 * Whether the destination is in quiet hours at `now`: every route sending there has
 * `quietHours` and is inside a window (a route without quiet hours wants its notices now).
 * Several windows: the digest is posted when the first of them ends.
 */
export function quietHold(target: TargetRoutes, now: Date): QuietHold | undefined {
  let earliest: { end: Date; endLabel: string } | undefined;
  for (const route of target.routes) {
    const quiet = route.options.quietHours;
    const window = quiet ? quietWindowAt(quiet, now) : undefined;
    if (!window) return undefined;
    if (!earliest || window.end < earliest.end) earliest = window;
  }
  if (!earliest) return undefined;
  return {
    digestKey: digestKey(target, earliest.end),
    end: earliest.end,
    endLabel: earliest.endLabel,
    reason: `held for the digest until ${earliest.endLabel}`,
  };
}

/**
 * The action standing in for a held notice, under the notice's own effect key: running it adds
 * `item` to the destination's digest (once per key) and records the notice skipped with the
 * hold's reason, so a replay finds the key done and adds nothing. `onHeld` runs after the item
 * is stored (a held recovery still marks the ref green). A hold whose digest went out already (a
 * retry after the window's end) posts a digest of its own item instead of losing it.
 */
export function heldAction(
  notice: Pick<PlannedAction, 'key' | 'kind' | 'target' | 'summary'>,
  target: TargetRoutes,
  hold: QuietHold,
  item: Omit<DigestItem, 'key'>,
  deps: { state: StateStore; outlets: Outlets; onHeld?: () => Promise<unknown> },
): PlannedAction {
  return {
    ...notice,
    summary: `${notice.summary} (quiet hours)`,
    run: async (): Promise<ActionRunResult> => {
      const entry = bounded({ ...item, key: notice.key });
      const late = await withDigestLock(deps.state, hold.digestKey, notice.key, async () => {
        const current = (await deps.state.get<DigestState>(hold.digestKey)) ?? {
          target: target.target,
          end: hold.end.toISOString(),
          endLabel: hold.endLabel,
          items: [],
        };
        if (current.postedAt !== undefined) return current;
        if (!current.items.some((listed) => listed.key === entry.key)) {
          if (current.items.length < MAX_ITEMS) current.items.push(entry);
          else current.more = (current.more ?? 0) + 1;
          await deps.state.put<DigestState>(hold.digestKey, current, { ttlDays: 14 });
        }
        return undefined;
      });
      await deps.onHeld?.();
      if (late) {
        const sent = await postDigest(deps.outlets, { ...late, items: [entry], more: 0 });
        if (sent.dryRun !== undefined) return sent;
        return { skipped: `${hold.reason}, which was already posted: sent as a digest of its own`, result: sent.result };
      }
      return { skipped: hold.reason };
    },
  };
}

/**
 * The actions planned for `target` with its notice held: the first one that would run becomes
 * the held action (under its key), the rest are recorded skipped. Other destinations' actions
 * pass unchanged.
 */
export function holdActions(
  actions: readonly PlannedAction[],
  target: TargetRoutes,
  hold: QuietHold,
  item: Omit<DigestItem, 'key'>,
  deps: { state: StateStore; outlets: Outlets },
): PlannedAction[] {
  const prefix = `${target.id}:`;
  const notice = actions.find((action) => action.key.startsWith(prefix) && action.skipReason === undefined);
  if (!notice) return [...actions];
  return actions.map((action) => {
    if (!action.key.startsWith(prefix) || action.skipReason !== undefined) return action;
    return action === notice ? heldAction(notice, target, hold, item, deps) : heldAlong(action, hold);
  });
}

/** The other actions of a held notice (a parent update, log excerpts): recorded skipped, not run. */
export function heldAlong(action: PlannedAction, hold: QuietHold): PlannedAction {
  return { ...action, skipReason: hold.reason, run: async () => undefined };
}

/**
 * Posts the digest of every quiet window that ended in the last 48 hours, once: for each
 * destination of a route with `quietHours`, one state read per ended window; a digest found
 * unposted is posted under its lock and marked posted. Called by a timer (the local bridge's,
 * the scheduled Lambda in AWS); a digest with nothing held posts nothing. A destination whose
 * post fails is logged and tried again on the next call.
 *
 * @returns how many digests were posted (or printed, without credentials).
 */
export async function flushDueDigests(deps: { routes: readonly Route[]; state: StateStore; outlets: Outlets; now: Date; log?: BridgeLogger }): Promise<number> {
  const keys = new Set<string>();
  for (const target of targetsOf(deps.routes.filter((route) => route.options.quietHours !== undefined))) {
    for (const route of target.routes) {
      for (const window of windowsEndedBetween(route.options.quietHours!, new Date(deps.now.getTime() - FLUSH_LOOKBACK_MS), deps.now)) {
        keys.add(digestKey(target, window.end));
      }
    }
  }
  let posted = 0;
  const owner = `flush:${randomUUID()}`;
  for (const key of keys) {
    const seen = await deps.state.get<DigestState>(key);
    if (!seen || seen.postedAt !== undefined || seen.items.length === 0) continue;
    try {
      const done = await withDigestLock(deps.state, key, owner, async () => {
        const current = await deps.state.get<DigestState>(key);
        if (!current || current.postedAt !== undefined) return false;
        // Printed in local mode (no credentials) counts as posted too: a timer would print it again every minute.
        await postDigest(deps.outlets, current);
        await deps.state.put<DigestState>(key, { ...current, postedAt: deps.now.toISOString() }, { ttlDays: 14 });
        return true;
      });
      if (done) posted += 1;
    } catch (error) {
      deps.log?.warn('quiet-hours digest not posted; trying again on the next run', {
        digest: key,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return posted;
}

function postDigest(outlets: Outlets, digest: DigestState) {
  return digest.target.kind === 'slack'
    ? outlets.slackPost(digest.target.channel, formatDigest(digest))
    : outlets.teamsPost(digest.target.webhook, digestCard(digest));
}

function bounded(item: DigestItem): DigestItem {
  return {
    key: item.key,
    text: item.text.length > MAX_TEXT ? `${item.text.slice(0, MAX_TEXT - 1)}…` : item.text,
    ...(item.url !== undefined && item.url.length <= MAX_URL ? { url: item.url } : {}),
  };
}

/** Another delivery or a flush is writing the digest: retried through the queue. */
export class DigestBusy extends BridgeError {
  override readonly name = 'DigestBusy';
  constructor(readonly digestKey: string) {
    super(`the quiet-hours digest ${digestKey} is being written by another delivery; retrying`);
  }
}

/** One writer of a digest at a time: holds append to it, a flush posts it. */
function withDigestLock<T>(state: StateStore, key: string, owner: string, work: () => Promise<T>): Promise<T> {
  return withStateLock(state, `${key}:lock`, owner, { leaseSeconds: LOCK_LEASE_SECONDS, wait: LOCK_WAIT, busy: () => new DigestBusy(key) }, work);
}

/**
 * A flush bound to the config and credentials, for a timer: builds its own outlets (the Slack
 * API URL from the config; without credentials a digest is printed, as notices are locally).
 * Undefined when no route has quiet hours.
 */
export function digestFlusher(deps: {
  config: BridgeConfig;
  credentials: Credentials;
  state: StateStore;
  print?: (text: string) => void;
  log?: BridgeLogger;
}): ((now: Date) => Promise<number>) | undefined {
  const routes = deps.config.routes.filter((route) => route.options.quietHours !== undefined);
  if (routes.length === 0) return undefined;
  const outlets = configuredOutlets(deps.credentials, { slackApiUrl: deps.config.slack?.apiUrl, print: deps.print });
  return (now) => flushDueDigests({ routes, state: deps.state, outlets, now, ...(deps.log ? { log: deps.log } : {}) });
}
