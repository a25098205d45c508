import type { StateStore } from './store.js';

/** How long a contender may wait for a lock: `attempts` tries of the stored lock, `intervalMs` apart. */
export interface LockWait {
  attempts: number;
  intervalMs: number;
}

export interface LockOptions {
  /** The lease of the stored lock: a worker that dies holding it frees it when it runs out. */
  leaseSeconds: number;
  wait: LockWait;
  /** The error thrown when the wait is over (the delivery goes back to the queue and tries again). */
  busy: () => Error;
}

/** Contenders for a lock in this process, first come first served. */
interface LocalQueue {
  waiters: Array<() => void>;
}
/** Per store (a table), per lock key. */
const localQueues = new WeakMap<StateStore, Map<string, LocalQueue>>();

function queuesOf(state: StateStore): Map<string, LocalQueue> {
  let queues = localQueues.get(state);
  if (!queues) localQueues.set(state, (queues = new Map()));
  return queues;
}

/**
 * Waits, in this process, until no other caller of `withStateLock` here holds `key`; false when
 * `ms` ran out first. Contenders in one process (deliveries of one batch, the local bridge's
 * concurrent batches) are handed the lock the moment it is given back, instead of each polling
 * the table: no refused conditional writes (1 write unit each) and no idle polling interval.
 */
function takeLocal(state: StateStore, key: string, ms: number): Promise<boolean> {
  const queues = queuesOf(state);
  const queue = queues.get(key);
  if (!queue) {
    queues.set(key, { waiters: [] });
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      const at = queue.waiters.indexOf(wake);
      if (at >= 0) queue.waiters.splice(at, 1);
      resolve(false);
    }, ms);
    queue.waiters.push(wake);
  });
}

function giveBackLocal(state: StateStore, key: string): void {
  const queues = queuesOf(state);
  const next = queues.get(key)?.waiters.shift();
  if (next) next();
  else queues.delete(key);
}

/**
 * Runs `work` holding the stored lock `key` for `owner` (one conditional write: see
 * StateStore.reserve), and gives it back after, whatever `work` did. The stored lock is what
 * makes workers in different processes take turns; within one process contenders queue in
 * memory first (takeLocal), so the table sees one of them at a time. Waits at most
 * `attempts x intervalMs` in all, then throws `busy()`.
 */
export async function withStateLock<T>(state: StateStore, key: string, owner: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const { attempts, intervalMs } = options.wait;
  const deadline = Date.now() + attempts * intervalMs;
  if (!(await takeLocal(state, key, attempts * intervalMs))) throw options.busy();
  try {
    for (let attempt = 1; !(await state.reserve(key, owner, options.leaseSeconds)); attempt += 1) {
      // Held by another process: poll the stored lock, within what is left of the wait.
      if (attempt >= attempts || Date.now() + intervalMs > deadline) throw options.busy();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    try {
      return await work();
    } finally {
      await state.release(key, owner);
    }
  } finally {
    giveBackLocal(state, key);
  }
}
