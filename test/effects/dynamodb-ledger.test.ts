import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import { startTestTable } from '../support/local-aws.js';

let table: Awaited<ReturnType<typeof startTestTable>>;
let clock = 1_000_000;
let ledger: DynamoDbEffectLedger;

beforeAll(async () => {
  table = await startTestTable();
  ledger = new DynamoDbEffectLedger({ client: table.client, tableName: table.tableName, leaseSeconds: 60, now: () => clock });
});
afterAll(async () => table.close());

describe('DynamoDbEffectLedger', () => {
  it('lets one attempt claim an effect; a completed effect is not claimed again', async () => {
    const claim = await ledger.claim('slack:C1:pipeline:1:failed', 'd1');
    expect(claim.claimed).toBe(true);
    if (!claim.claimed) return;
    await ledger.complete('slack:C1:pipeline:1:failed', claim.token, { ts: '123.456' });
    expect(await ledger.claim('slack:C1:pipeline:1:failed', 'd2')).toMatchObject({ claimed: false, state: 'done', result: { ts: '123.456' } });
  });

  it('a second attempt cannot take an effect while the first holds its lease', async () => {
    const first = await ledger.claim('k-lease', 'd1');
    expect(first.claimed).toBe(true);
    expect(await ledger.claim('k-lease', 'd1')).toEqual({ claimed: false, state: 'pending' });
  });

  it('an abandoned claim (crash mid-send) can be taken over after its lease', async () => {
    const first = await ledger.claim('k-crash', 'd1');
    expect(first.claimed).toBe(true);
    clock += 61_000;
    const second = await ledger.claim('k-crash', 'd1');
    expect(second.claimed).toBe(true);
    // The first attempt's late completion does not overwrite the new owner's claim.
    if (first.claimed) await expect(ledger.complete('k-crash', first.token, {})).rejects.toThrow();
  });

  it('a released claim can be claimed again at once', async () => {
    const first = await ledger.claim('k-release', 'd1');
    if (!first.claimed) throw new Error('expected a claim');
    await ledger.release('k-release', first.token);
    expect((await ledger.claim('k-release', 'd1')).claimed).toBe(true);
  });

  it('force claims a completed effect again (replay --force)', async () => {
    const first = await ledger.claim('k-force', 'd1');
    if (!first.claimed) throw new Error('expected a claim');
    await ledger.complete('k-force', first.token, { id: '1' });
    expect((await ledger.claim('k-force', 'd1', { force: true })).claimed).toBe(true);
  });

  it('a completed effect answers its result and when it was done', async () => {
    const first = await ledger.claim('k-done', 'd1');
    if (!first.claimed) throw new Error('expected a claim');
    await ledger.complete('k-done', first.token, { ts: '123.456' });
    expect(await ledger.claim('k-done', 'd2')).toEqual({
      claimed: false,
      state: 'done',
      result: { ts: '123.456' },
      doneAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect((await ledger.claim('never', 'd2')).claimed).toBe(true);
  });
});
