import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { withStateLock, type LockOptions } from '../../lib/state/lock.js';
import type { StateStore } from '../../lib/state/store.js';
import { startTestTable } from '../support/local-aws.js';

/** The lock every notifier lock (streak, storm, rollup, digest) runs on, over dynalite. */
let table: Awaited<ReturnType<typeof startTestTable>>;
let seq = 0;

beforeAll(async () => {
  table = await startTestTable();
});
afterAll(() => table.close());

class Busy extends Error {}

/** The real store, with every conditional write it attempts (taken or refused) counted. */
function countingStore(): { state: StateStore; reserves: () => number } {
  const inner = new DynamoDbStateStore(table.client, table.tableName);
  let reserves = 0;
  const state: StateStore = {
    get: (key, options) => inner.get(key, options),
    put: (key, value, options) => inner.put(key, value, options),
    reserve: (key, owner, lease) => {
      reserves += 1;
      return inner.reserve(key, owner, lease);
    },
    release: (key, owner) => inner.release(key, owner),
  };
  return { state, reserves: () => reserves };
}

const options = (attempts: number, intervalMs: number): LockOptions => ({ leaseSeconds: 60, wait: { attempts, intervalMs }, busy: () => new Busy('busy') });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('withStateLock', () => {
  it('hands the lock to the next contender in this process when it is given back, in arrival order, with one conditional write each', async () => {
    const { state, reserves } = countingStore();
    const key = `lock-test-${++seq}`;
    const order: string[] = [];
    const first = deferred();
    const holder = withStateLock(state, key, 'a', options(40, 250), async () => {
      order.push('a');
      await first.promise;
    });
    // Both wait in memory: with polling each would have tried the stored lock (and been refused) first.
    const b = withStateLock(state, key, 'b', options(40, 250), async () => void order.push('b'));
    const c = withStateLock(state, key, 'c', options(40, 250), async () => void order.push('c'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['a']);
    first.resolve();
    await Promise.all([holder, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(reserves()).toBe(3);
  });

  it('polls a lock held by another process and gives up with busy() when the wait is over', async () => {
    const { state, reserves } = countingStore();
    const key = `lock-test-${++seq}`;
    expect(await state.reserve(key, 'another-worker', 60)).toBe(true);
    let ran = false;
    await expect(
      withStateLock(state, key, 'mine', options(3, 200), async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(Busy);
    expect(ran).toBe(false);
    // The other worker's reserve plus the tries of this one: more than one (it polled), at most
    // three (a slow round trip to the table uses up part of the wait).
    expect(reserves()).toBeGreaterThanOrEqual(3);
    expect(reserves()).toBeLessThanOrEqual(4);
    await state.release(key, 'another-worker');
    await withStateLock(state, key, 'mine', options(3, 20), async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('a contender whose wait runs out in this process gives up, and the ones after it still get the lock', async () => {
    const { state } = countingStore();
    const key = `lock-test-${++seq}`;
    const release = deferred();
    const holder = withStateLock(state, key, 'a', options(40, 250), () => release.promise);
    const impatient = withStateLock(state, key, 'b', options(2, 20), async () => 'b ran');
    const patient = withStateLock(state, key, 'c', options(40, 250), async () => 'c ran');
    await expect(impatient).rejects.toBeInstanceOf(Busy);
    release.resolve();
    await holder;
    expect(await patient).toBe('c ran');
  });

  it('gives the lock back, stored and in memory, when the work throws', async () => {
    const { state } = countingStore();
    const key = `lock-test-${++seq}`;
    await expect(
      withStateLock(state, key, 'a', options(3, 20), async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    // Another process can take the stored lock at once, and so can the next caller here.
    expect(await state.reserve(key, 'another-worker', 60)).toBe(true);
    await state.release(key, 'another-worker');
    expect(await withStateLock(state, key, 'b', options(1, 20), async () => 'b ran')).toBe('b ran');
  });
});
