import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
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

describe('write units of a state entry', () => {
  const units: Array<{ operation: string; units: number }> = [];
  const metered = () =>
    new DynamoDbStateStore(
      table.client,
      table.tableName,
      () => now,
      (operation, consumed) => units.push({ operation, units: consumed }),
    );
  const item = async (key: string) => (await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `S#${key}` } } }))).Item;
  // A ref's streak as the notifier stores it: pipeline facts with URLs that repeat the project's.
  const streak = {
    pipelineId: 7049,
    facts: {
      projectPath: 'acme/web',
      projectUrl: 'https://gitlab.example.com/acme/web',
      pipelineUrl: 'https://gitlab.example.com/acme/web/-/pipelines/7049',
      refUrl: 'https://gitlab.example.com/acme/web/-/tree/main',
      commitUrl: 'https://gitlab.example.com/acme/web/-/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2',
      failedJobs: Array.from({ length: 8 }, (_, n) => ({
        id: 7049000 + n,
        name: `job-${n}`,
        stage: 'test',
        url: `https://gitlab.example.com/acme/web/-/jobs/${7049000 + n}`,
      })),
    },
  };

  it('stores a value past 1 KB compressed: read back the same, at 1 write unit instead of 2', async () => {
    expect(JSON.stringify(streak).length).toBeGreaterThan(1100);
    units.length = 0;
    await metered().put('slack:C1:ref:acme/web:main', streak);
    expect(units).toEqual([{ operation: 'put', units: 1 }]);
    expect((await item('slack:C1:ref:acme/web:main'))?.value).toBeUndefined();
    expect(await store.get('slack:C1:ref:acme/web:main')).toEqual(streak);
  });

  it('keeps a small value as readable JSON', async () => {
    await store.put('slack:C1:thread:small', { ts: '1.2' });
    expect((await item('slack:C1:thread:small'))?.value?.S).toBe('{"ts":"1.2"}');
  });

  it('reads a value past 1 KB stored as JSON by an earlier version', async () => {
    const expiresAt = String(Math.floor(now / 1000) + 86_400);
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { pk: { S: 'S#slack:C1:ref:old:main' }, value: { S: JSON.stringify(streak) }, expiresAt: { N: expiresAt } },
      }),
    );
    expect(await store.get('slack:C1:ref:old:main')).toEqual(streak);
  });

  // The 1 unit is what the store reports for a refused condition (DynamoDB bills it; dynalite reports nothing):
  // this pins that the refusal reaches the observer, which the bench's write-unit figures rely on.
  it('reports a reservation refused by its condition to the capacity observer', async () => {
    const metering = metered();
    await metering.reserve('lock:counted', 'a', 60);
    units.length = 0;
    expect(await metering.reserve('lock:counted', 'b', 60)).toBe(false);
    expect(units).toEqual([{ operation: 'reserve', units: 1 }]);
  });
});
