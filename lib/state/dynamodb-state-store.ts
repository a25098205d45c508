import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ReturnConsumedCapacity,
} from '@aws-sdk/client-dynamodb';
import { STATE_PREFIX } from '../deliveries/table.js';
import { itemSizeBytes } from '../dynamo-item-size.js';
import type { StateStore } from './store.js';

/** An MR or a failing ref rarely stays open longer than this; the key then expires by TTL. */
const DEFAULT_TTL_DAYS = 180;

/**
 * DynamoDB bills a write per started KB of the item, a failed conditional write 1 unit (developer
 * guide, "Read/write capacity mode"). Values whose item would pass this are stored compressed
 * (`packed`, brotli): a ref's streak with its pipeline facts is about 1.5 KB of JSON and 0.6 KB
 * compressed, so each of its writes costs 1 unit instead of 2. Smaller values stay readable JSON
 * (`value`); both are read.
 */
const WRITE_UNIT_BYTES = 1024;
/** Quality 5 of 11: within 10% of the best size on these values at a fiftieth of the time (about 0.06 ms a value). */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

/** Observes the capacity units each call consumed; `key` is the state key (without `S#`). */
export type StateCapacityObserver = (operation: 'get' | 'put' | 'reserve' | 'release', units: number, key: string) => void;

export class DynamoDbStateStore implements StateStore {
  private readonly returnCapacity: ReturnConsumedCapacity | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
    private readonly onConsumedCapacity?: StateCapacityObserver,
  ) {
    this.returnCapacity = onConsumedCapacity ? 'TOTAL' : undefined;
  }

  private observe(operation: Parameters<StateCapacityObserver>[0], key: string, units: number | undefined): void {
    if (units !== undefined) this.onConsumedCapacity?.(operation, units, key);
  }

  async get<T>(key: string, options: { consistent?: boolean } = {}): Promise<T | undefined> {
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: STATE_PREFIX + key } },
        ConsistentRead: options.consistent ?? true,
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    this.observe('get', key, result.ConsumedCapacity?.CapacityUnits);
    const packed = result.Item?.packed?.B;
    const raw = packed ? brotliDecompressSync(packed).toString('utf8') : result.Item?.value?.S;
    // DynamoDB deletes expired items only eventually (typically within days): an item past its
    // expiresAt counts as gone, so a 1 h cache entry lasts 1 h.
    const expiresAt = Number(result.Item?.expiresAt?.N);
    if (Number.isFinite(expiresAt) && expiresAt * 1000 <= this.now()) return undefined;
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async put<T>(key: string, value: T, options: { ttlDays?: number; ttlSeconds?: number } = {}): Promise<void> {
    const expiresAt = Math.floor(this.now() / 1000) + (options.ttlSeconds ?? (options.ttlDays ?? DEFAULT_TTL_DAYS) * 86_400);
    const json = JSON.stringify(value);
    let item: Record<string, AttributeValue> = { pk: { S: STATE_PREFIX + key }, value: { S: json }, expiresAt: { N: String(expiresAt) } };
    if (itemSizeBytes(item) > WRITE_UNIT_BYTES) {
      const packed: Record<string, AttributeValue> = { pk: item.pk!, packed: { B: brotliCompressSync(json, BROTLI_OPTIONS) }, expiresAt: item.expiresAt! };
      if (itemSizeBytes(packed) < itemSizeBytes(item)) item = packed;
    }
    const result = await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ReturnConsumedCapacity: this.returnCapacity }));
    this.observe('put', key, result.ConsumedCapacity?.CapacityUnits);
  }

  async reserve(key: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const now = this.now();
    try {
      const result = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: STATE_PREFIX + key },
            owner: { S: owner },
            leaseUntil: { N: String(now + leaseSeconds * 1000) },
            expiresAt: { N: String(Math.floor(now / 1000) + DEFAULT_TTL_DAYS * 86_400) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#leaseUntil': 'leaseUntil', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':owner': { S: owner } },
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.observe('reserve', key, result.ConsumedCapacity?.CapacityUnits);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // Billed all the same (1 unit); dynalite reports nothing for it.
        this.observe('reserve', key, 1);
        return false;
      }
      throw error;
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      const result = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: STATE_PREFIX + key } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.observe('release', key, result.ConsumedCapacity?.CapacityUnits);
    } catch (error) {
      // Another worker took it over after our lease ran out: theirs now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.observe('release', key, 1);
    }
  }
}
