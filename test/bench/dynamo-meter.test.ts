import { describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { indexWriteUnits, itemSizeBytes, meterDynamo, type IndexShape, type Item } from '../../bench/dynamo-meter.js';
import { ensureBridgeTable } from '../../lib/local/create-table.js';
import { startDynalite } from '../../lib/local/dynalite-server.js';

const byStatus: IndexShape = { name: 'byStatus', keys: ['status', 'sk'], projected: ['title'] };
const tableKeys = ['pk'];
const item = (fields: Record<string, string>): Item => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { S: v }]));
const big = 'x'.repeat(2000);

describe('DynamoDB index write units', () => {
  it('sizes an item as names plus values', () => {
    expect(itemSizeBytes(item({ pk: 'D#1', status: 'done' }))).toBe(2 + 3 + 6 + 4);
    expect(itemSizeBytes({ n: { N: '12345' } })).toBe(1 + 4);
  });

  it.each<[string, Item | undefined, Item | undefined, number]>([
    ['a new item with the index keys is one put', undefined, item({ pk: '1', status: 'queued', sk: 'a' }), 1],
    ['an item without the index keys costs the index nothing', undefined, item({ pk: '1', body: big }), 0],
    ['a changed index key is a delete and a put', item({ pk: '1', status: 'queued', sk: 'a' }), item({ pk: '1', status: 'done', sk: 'a' }), 2],
    [
      'a changed projected attribute is one put',
      item({ pk: '1', status: 'done', sk: 'a', title: 'x' }),
      item({ pk: '1', status: 'done', sk: 'a', title: 'y' }),
      1,
    ],
    [
      'a changed attribute the index does not project costs nothing',
      item({ pk: '1', status: 'done', sk: 'a', body: 'x' }),
      item({ pk: '1', status: 'done', sk: 'a', body: 'y' }),
      0,
    ],
    ['a removed index key is one delete', item({ pk: '1', status: 'done', sk: 'a' }), item({ pk: '1', sk: 'a' }), 1],
    ['a projected entry over 1 KB is more than one unit', undefined, item({ pk: '1', status: 'q', sk: 'a', title: big }), 2],
  ])('%s', (_name, before, after, units) => {
    expect(indexWriteUnits(before, after, byStatus, tableKeys)).toBe(units);
  });

  it('projects the whole item for ProjectionType ALL', () => {
    const all: IndexShape = { ...byStatus, projected: 'all' };
    expect(indexWriteUnits(undefined, item({ pk: '1', status: 'q', sk: 'a', body: big }), all, tableKeys)).toBe(2);
  });
});

describe('meterDynamo against dynalite', () => {
  it('adds the index writes dynalite does not report, from the table the bridge creates', async () => {
    const dynamo = await startDynalite();
    try {
      await ensureBridgeTable(dynamo.client, 'meter');
      const meter = await meterDynamo(dynamo.client, dynamo.endpoint, 'meter');
      const delivery = item({ pk: 'D#1', status: 'queued', projectPath: 'g/p', receivedAt: '2026-11-30T00:00:00Z' });
      await dynamo.client.send(new PutItemCommand({ TableName: 'meter', Item: delivery }));
      expect([meter.tableWriteUnits(), meter.indexWriteUnits()]).toEqual([1, 2]);
      await dynamo.client.send(new PutItemCommand({ TableName: 'meter', Item: item({ pk: 'S#x', ts: '1' }) }));
      expect([meter.tableWriteUnits(), meter.indexWriteUnits()]).toEqual([2, 2]);
      expect(meter.writeUnitsByKind()).toEqual({ 'D#': 3, 'S#': 1 });
      await dynamo.client.send(new GetItemCommand({ TableName: 'meter', Key: { pk: { S: 'D#1' } }, ConsistentRead: true }));
      expect(meter.readUnits()).toBe(1);
    } finally {
      await dynamo.close();
    }
  });
});
