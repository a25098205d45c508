/**
 * DynamoDB request units as DynamoDB would bill them, measured on a client talking to dynalite.
 * dynalite reports the table's consumed capacity but not its global secondary indexes', so the
 * index units are computed here from the item before and after each write and the indexes'
 * key schemas and projections, read from the table itself (DescribeTable): a change to the
 * table layout changes the figure without touching the bench.
 */
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue, type GlobalSecondaryIndexDescription } from '@aws-sdk/client-dynamodb';
import { itemSizeBytes, writeUnitsFor } from '../lib/dynamo-item-size.js';
import { LOCAL_AWS } from '../lib/local/names.js';

export { itemSizeBytes, writeUnitsFor };

export type Item = Record<string, AttributeValue>;

/** An index as the meter needs it: its key attributes and the attributes its entries carry. */
export interface IndexShape {
  name: string;
  keys: string[];
  /** `all` for ProjectionType ALL; else the projected non-key attributes (the table key is always projected). */
  projected: string[] | 'all';
}

function indexEntry(item: Item | undefined, index: IndexShape, tableKeys: readonly string[]): Item | undefined {
  if (!item || index.keys.some((key) => item[key] === undefined)) return undefined;
  if (index.projected === 'all') return item;
  const names = new Set([...index.keys, ...tableKeys, ...index.projected]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

const same = (a: Item, b: Item) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Write units one table write costs in one index (DynamoDB developer guide, "Provisioned
 * throughput considerations for global secondary indexes"): an entry that appears is one put; one
 * that disappears, one delete; a changed index key, a delete and a put; a changed projected
 * attribute, one put; no change, nothing.
 */
export function indexWriteUnits(before: Item | undefined, after: Item | undefined, index: IndexShape, tableKeys: readonly string[]): number {
  const old = indexEntry(before, index, tableKeys);
  const next = indexEntry(after, index, tableKeys);
  if (!old && !next) return 0;
  if (!old && next) return writeUnitsFor(itemSizeBytes(next));
  if (old && !next) return writeUnitsFor(itemSizeBytes(old));
  const keyChanged = index.keys.some((key) => JSON.stringify(old![key]) !== JSON.stringify(next![key]));
  if (keyChanged) return writeUnitsFor(itemSizeBytes(old!)) + writeUnitsFor(itemSizeBytes(next!));
  return same(old!, next!) ? 0 : writeUnitsFor(itemSizeBytes(next!));
}

function shapeOf(index: GlobalSecondaryIndexDescription): IndexShape {
  const projection = index.Projection?.ProjectionType ?? 'ALL';
  return {
    name: index.IndexName ?? '',
    keys: (index.KeySchema ?? []).map((key) => key.AttributeName ?? ''),
    projected: projection === 'ALL' ? 'all' : projection === 'INCLUDE' ? (index.Projection?.NonKeyAttributes ?? []) : [],
  };
}

export interface DynamoMeter {
  /** Table write units as DynamoDB (dynalite) reported them, plus 1 per failed conditional write. */
  tableWriteUnits(): number;
  /** Index write units computed from the items before and after each write. */
  indexWriteUnits(): number;
  /** Read units as reported (GetItem, Query, Scan). */
  readUnits(): number;
  /** Table plus index write units by the kind of item written: the partition key up to its `#` (`D#`, `E#`, `S#`). */
  writeUnitsByKind(): Record<string, number>;
  reset(): void;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

/**
 * Meters every request `client` makes to `tableName`. Reads the items before and after each write
 * with a second, unmetered client on `endpoint`.
 */
export async function meterDynamo(client: DynamoDBClient, endpoint: string, tableName: string): Promise<DynamoMeter> {
  const side = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const described = await side.send(new DescribeTableCommand({ TableName: tableName }));
  const tableKeys = (described.Table?.KeySchema ?? []).map((key) => key.AttributeName ?? '');
  const indexes = (described.Table?.GlobalSecondaryIndexes ?? []).map(shapeOf);
  const read = async (key: Item) => (await side.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  let tableWrites = 0;
  let indexWrites = 0;
  let reads = 0;
  let byKind: Record<string, number> = {};
  const addKind = (key: Item | undefined, units: number) => {
    const pk = key?.[tableKeys[0] ?? '']?.S ?? '';
    const kind = pk.includes('#') ? pk.slice(0, pk.indexOf('#') + 1) : '(other)';
    byKind[kind] = (byKind[kind] ?? 0) + units;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      const input = args.input as { TableName?: string; Item?: Item; Key?: Item; ReturnConsumedCapacity?: string };
      const isWrite = WRITES.has(name) && input.TableName === tableName;
      if (!isWrite && !READS.has(name)) return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      const key = isWrite ? (input.Key ?? Object.fromEntries(tableKeys.map((k) => [k, input.Item?.[k] as AttributeValue]))) : undefined;
      const before = key ? await read(key) : undefined;
      try {
        const result = await next(args);
        const capacity = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
        const units = Array.isArray(capacity) ? capacity.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0) : (capacity?.CapacityUnits ?? 0);
        if (isWrite) {
          const after = await read(key!);
          const inIndexes = indexes.reduce((sum, index) => sum + indexWriteUnits(before, after, index, tableKeys), 0);
          tableWrites += units;
          indexWrites += inIndexes;
          addKind(key, units + inIndexes);
        } else {
          reads += units;
        }
        return result;
      } catch (error) {
        // A failed conditional write still consumes write capacity in DynamoDB (1 unit), no index unit.
        if (isWrite && (error as Error).name === 'ConditionalCheckFailedException') {
          tableWrites += 1;
          addKind(key, 1);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchDynamoMeter' },
  );
  return {
    tableWriteUnits: () => tableWrites,
    indexWriteUnits: () => indexWrites,
    readUnits: () => reads,
    writeUnitsByKind: () => ({ ...byKind }),
    reset: () => {
      byKind = {};
      tableWrites = 0;
      indexWrites = 0;
      reads = 0;
    },
  };
}
