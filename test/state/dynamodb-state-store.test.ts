import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { startTestTable } from '../support/local-aws.js';

/** The state store on dynalite, which (like DynamoDB before its TTL sweep) keeps expired items. */
let table: Awaited<ReturnType<typeof startTestTable>>;
let now = Date.parse('2026-11-30T12:00:00Z');
let store: DynamoDbStateStore;

beforeAll(async () => {
  table = await startTestTable();
  store = new DynamoDbStateStore(table.client, table.tableName, () => now);
});
afterAll(() => table.close());

describe('state entries with a lifetime', () => {
  it('an entry put for an hour is read within the hour and gone after it, though the item is still stored', async () => {
    await store.put('mention:test:hour', { id: 'U1' }, { ttlSeconds: 3600 });
    now += 3599_000;
    expect(await store.get('mention:test:hour')).toEqual({ id: 'U1' });
    now += 2_000;
    expect(await store.get('mention:test:hour')).toBeUndefined();
  });

  it('ttlDays still sets a lifetime in days', async () => {
    await store.put('mention:test:days', { ok: true }, { ttlDays: 2 });
    now += 2 * 86_400_000 - 1000;
    expect(await store.get('mention:test:days')).toEqual({ ok: true });
    now += 2000;
    expect(await store.get('mention:test:days')).toBeUndefined();
  });
});
