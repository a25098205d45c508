import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { EFFECT_PREFIX } from '../deliveries/table.js';
import type { EffectClaim, EffectLedger, EffectResult } from './ledger.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbEffectLedgerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long a claim protects an in-flight effect; longer than the worker's timeout. */
  leaseSeconds?: number;
  /** How long a completed effect key is kept (it guards re-pushes and replays). */
  retentionDays?: number;
  now?: () => number;
}

/** Default lease: the worker times out after 60 s; a claim older than 5 minutes is abandoned. */
const DEFAULT_LEASE_SECONDS = 300;
/** Effect keys outlive delivery records so a commit pushed again months later stays quiet. */
const DEFAULT_RETENTION_DAYS = 400;

export class DynamoDbEffectLedger implements EffectLedger {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly leaseMs: number;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbEffectLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.leaseMs = (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, deliveryId: string, options: { force?: boolean } = {}): Promise<EffectClaim> {
    const token = randomUUID();
    const now = this.now();
    const values: Item = { ':pending': { S: 'pending' }, ':now': { N: String(now) } };
    let condition = 'attribute_not_exists(pk) OR (#state = :pending AND #leaseUntil < :now)';
    if (options.force) {
      values[':done'] = { S: 'done' };
      condition += ' OR #state = :done';
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: EFFECT_PREFIX + key },
            state: { S: 'pending' },
            token: { S: token },
            deliveryId: { S: deliveryId },
            leaseUntil: { N: String(now + this.leaseMs) },
            expiresAt: { N: String(Math.floor(now / 1000) + this.retentionSeconds) },
          },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#state': 'state', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: values,
        }),
      );
      return { claimed: true, token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.read(key);
      if (existing?.state?.S === 'done') {
        return { claimed: false, state: 'done', result: parseResult(existing), doneAt: existing.doneAt?.S ?? '' };
      }
      return { claimed: false, state: 'pending' };
    }
  }

  async complete(key: string, token: string, result: EffectResult): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: EFFECT_PREFIX + key } },
        UpdateExpression: 'SET #state = :done, #result = :result, #doneAt = :doneAt REMOVE #leaseUntil',
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#state': 'state', '#result': 'result', '#doneAt': 'doneAt', '#leaseUntil': 'leaseUntil', '#token': 'token' },
        ExpressionAttributeValues: {
          ':done': { S: 'done' },
          ':result': { S: JSON.stringify(result) },
          ':doneAt': { S: new Date(this.now()).toISOString() },
          ':token': { S: token },
        },
      }),
    );
  }

  async release(key: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: EFFECT_PREFIX + key } },
          ConditionExpression: '#token = :token AND #state = :pending',
          ExpressionAttributeNames: { '#token': 'token', '#state': 'state' },
          ExpressionAttributeValues: { ':token': { S: token }, ':pending': { S: 'pending' } },
        }),
      );
    } catch (error) {
      // Someone else took the claim over after our lease ran out: theirs to finish.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async read(key: string): Promise<Item | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: EFFECT_PREFIX + key } }, ConsistentRead: true }));
    return result.Item;
  }
}

function parseResult(item: Item): EffectResult {
  return item.result?.S ? (JSON.parse(item.result.S) as EffectResult) : {};
}
