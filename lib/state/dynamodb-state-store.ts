import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_PREFIX } from '../deliveries/table.js';
import type { StateStore } from './store.js';

/** An MR or a failing ref rarely stays open longer than this; the key then expires by TTL. */
const DEFAULT_TTL_DAYS = 180;

export class DynamoDbStateStore implements StateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: STATE_PREFIX + key } }, ConsistentRead: true }));
    const raw = result.Item?.value?.S;
    // DynamoDB deletes expired items only eventually (typically within days): an item past its
    // expiresAt counts as gone, so a 1 h cache entry lasts 1 h.
    const expiresAt = Number(result.Item?.expiresAt?.N);
    if (Number.isFinite(expiresAt) && expiresAt * 1000 <= this.now()) return undefined;
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async put<T>(key: string, value: T, options: { ttlDays?: number; ttlSeconds?: number } = {}): Promise<void> {
    const expiresAt = Math.floor(this.now() / 1000) + (options.ttlSeconds ?? (options.ttlDays ?? DEFAULT_TTL_DAYS) * 86_400);
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: STATE_PREFIX + key }, value: { S: JSON.stringify(value) }, expiresAt: { N: String(expiresAt) } },
      }),
    );
  }

  async reserve(key: string, owner: string, leaseSeconds: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.client.send(
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
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: STATE_PREFIX + key } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      // Another worker took it over after our lease ran out: theirs now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
