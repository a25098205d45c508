import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type ReturnConsumedCapacity,
} from '@aws-sdk/client-dynamodb';
import { decodeBody, encodeBody } from './body-codec.js';
import {
  DELIVERY_STATUSES,
  isDeliveryStatus,
  type ActionOutcome,
  type AuthProject,
  type DeliveryRecord,
  type DeliveryRecovery,
  type DeliverySummary,
} from './record.js';
import type { CreateResult, DeliveryPage, DeliveryQuery, DeliveryStore, FinishedAttempt, NewDelivery } from './store.js';
import { DELIVERY_PREFIX, TABLE } from './table.js';

type Item = Record<string, AttributeValue>;

/** Observes the write units each call consumed (the bench sums them). */
export type CapacityObserver = (operation: string, units: number) => void;

export interface DynamoDbDeliveryStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  onConsumedCapacity?: CapacityObserver;
}

/** Delivery records in the bridge's DynamoDB table (layout in ./table.ts). */
export class DynamoDbDeliveryStore implements DeliveryStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly onCapacity: CapacityObserver | undefined;
  private readonly returnCapacity: ReturnConsumedCapacity | undefined;

  constructor(options: DynamoDbDeliveryStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.onCapacity = options.onConsumedCapacity;
    this.returnCapacity = options.onConsumedCapacity ? 'TOTAL' : undefined;
  }

  async create(delivery: NewDelivery): Promise<CreateResult> {
    const item = toItem({ ...delivery, outcomes: [], attempts: 0, updatedAt: delivery.receivedAt });
    try {
      const result = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.observe('create', result.ConsumedCapacity?.CapacityUnits);
      return { created: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // dynalite does not return the old item on a failed condition; read it then.
        const existing = error.Item ?? (await this.readItem(delivery.id));
        if (existing) return { created: false, existing: summaryFromItem(existing) };
      }
      throw error;
    }
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const item = await this.readItem(id);
    return item ? fromItem(item) : undefined;
  }

  private async readItem(id: string): Promise<Item | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }));
    return result.Item;
  }

  async finishAttempt(id: string, attempt: FinishedAttempt): Promise<void> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#outcomes': 'outcomes',
      '#attempts': 'attempts',
      '#updatedAt': 'updatedAt',
      '#statusReason': 'statusReason',
    };
    const values: Item = {
      ':status': { S: attempt.status },
      ':outcomes': { S: JSON.stringify(attempt.outcomes) },
      ':attempts': { N: String(attempt.attempts) },
      ':updatedAt': { S: new Date().toISOString() },
    };
    let update = 'SET #status = :status, #outcomes = :outcomes, #attempts = :attempts, #updatedAt = :updatedAt';
    if (attempt.statusReason) {
      values[':statusReason'] = { S: attempt.statusReason };
      update += ', #statusReason = :statusReason';
    } else {
      update += ' REMOVE #statusReason';
    }
    const result = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keyOf(id),
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    this.observe('finishAttempt', result.ConsumedCapacity?.CapacityUnits);
  }

  async markQueuedForReplay(id: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keyOf(id),
        UpdateExpression: 'SET #status = :queued, #updatedAt = :now REMOVE #statusReason',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#statusReason': 'statusReason' },
        ExpressionAttributeValues: { ':queued': { S: 'queued' }, ':now': { S: new Date().toISOString() } },
      }),
    );
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const statuses = query.statuses && query.statuses.length > 0 ? query.statuses : DELIVERY_STATUSES;
    // One index partition per status (or the project's partition), each read newest first,
    // merged by time. `limit + 1` rows tell whether another page exists.
    const partitions = query.projectPath
      ? [
          {
            index: TABLE.byProjectIndex,
            attribute: TABLE.projectAttribute,
            value: query.projectPath,
            statusFilter: query.statuses?.length ? statuses : undefined,
          },
        ]
      : statuses.map((status) => ({ index: TABLE.byStatusIndex, attribute: TABLE.statusAttribute, value: status, statusFilter: undefined }));
    const pages = await Promise.all(partitions.map((partition) => this.queryPartition(partition, query.since, query.before, query.limit + 1)));
    const merged = newestFirst(pages.flat());
    const items = merged.slice(0, query.limit);
    const last = items.at(-1);
    if (merged.length <= query.limit || !last) return { items };
    // The cursor is a time, and the next page starts strictly before it: deliveries received in
    // the same millisecond as the page's last one must all be on this page, or one would be skipped.
    if (merged[query.limit]?.receivedAt === last.receivedAt) {
      const sameTime = await Promise.all(partitions.map((partition) => this.queryPartition(partition, undefined, undefined, 1000, last.receivedAt)));
      const onPage = new Set(items.map((item) => item.id));
      items.push(...newestFirst(sameTime.flat()).filter((item) => !onPage.has(item.id)));
    }
    return { items, nextBefore: last.receivedAt };
  }

  private async queryPartition(
    partition: { index: string; attribute: string; value: string; statusFilter: readonly string[] | undefined },
    since: string | undefined,
    before: string | undefined,
    wanted: number,
    /** Only deliveries received at exactly this time. */
    at?: string,
  ): Promise<DeliverySummary[]> {
    const names: Record<string, string> = { '#pk': partition.attribute };
    const values: Item = { ':pk': { S: partition.value } };
    let condition = '#pk = :pk';
    if (since || before || at) names['#at'] = TABLE.sortAttribute;
    if (at) {
      condition += ' AND #at = :at';
      values[':at'] = { S: at };
    } else if (since && before) {
      condition += ' AND #at BETWEEN :since AND :before';
      values[':since'] = { S: since };
      values[':before'] = { S: before };
    } else if (since) {
      condition += ' AND #at >= :since';
      values[':since'] = { S: since };
    } else if (before) {
      condition += ' AND #at < :before';
      values[':before'] = { S: before };
    }
    let filter: string | undefined;
    if (partition.statusFilter) {
      names['#status'] = TABLE.statusAttribute;
      filter = `#status IN (${partition.statusFilter.map((_, i) => `:s${i}`).join(', ')})`;
      partition.statusFilter.forEach((status, i) => (values[`:s${i}`] = { S: status }));
    }
    const out: DeliverySummary[] = [];
    let startKey: Item | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: partition.index,
          KeyConditionExpression: condition,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: wanted,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of result.Items ?? []) {
        const summary = summaryFromItem(item);
        // BETWEEN is inclusive; the cursor is exclusive.
        if (before && summary.receivedAt >= before) continue;
        out.push(summary);
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey && out.length < wanted);
    return out.slice(0, wanted);
  }

  private observe(operation: string, units: number | undefined): void {
    if (this.onCapacity && units !== undefined) this.onCapacity(operation, units);
  }
}

/** Newest first; ties (same millisecond) by id, so the order is stable across pages. */
function newestFirst(items: DeliverySummary[]): DeliverySummary[] {
  return items.sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function keyOf(id: string): Item {
  return { [TABLE.partitionKey]: { S: DELIVERY_PREFIX + id } };
}

function toItem(record: DeliveryRecord): Item {
  const item: Item = {
    ...keyOf(record.id),
    id: { S: record.id },
    receivedAt: { S: record.receivedAt },
    event: { S: record.event },
    status: { S: record.status },
    attempts: { N: String(record.attempts) },
    updatedAt: { S: record.updatedAt },
    expiresAt: { N: String(record.expiresAt) },
    outcomes: { S: JSON.stringify(record.outcomes) },
    body: { B: encodeBody({ headers: record.headers, payload: record.payload }) },
  };
  if (record.objectKind !== null) item.objectKind = { S: record.objectKind };
  if (record.projectId !== null) item.projectId = { N: String(record.projectId) };
  if (record.projectPath !== null) item.projectPath = { S: record.projectPath };
  if (record.ref !== null) item.ref = { S: record.ref };
  if (record.statusReason) item.statusReason = { S: record.statusReason };
  if (record.authProject) {
    const authProject: Item = { path: { S: record.authProject.path } };
    if (record.authProject.id !== undefined) authProject.id = { N: String(record.authProject.id) };
    item.authProject = { M: authProject };
  }
  if (record.recovered) {
    item.source = { S: 'recovered' };
    item.recovered = {
      M: { hookId: { N: String(record.recovered.hookId) }, hookEventId: { N: String(record.recovered.hookEventId) }, at: { S: record.recovered.at } },
    };
  }
  return item;
}

function authProjectFromItem(item: Item): AuthProject | undefined {
  const value = item.authProject?.M;
  if (value?.path?.S === undefined) return undefined;
  return value.id?.N !== undefined ? { path: value.path.S, id: Number(value.id.N) } : { path: value.path.S };
}

function recoveredFromItem(item: Item): DeliveryRecovery | undefined {
  const value = item.recovered?.M;
  if (value?.hookEventId?.N === undefined) return undefined;
  return { hookId: Number(value.hookId?.N ?? '0'), hookEventId: Number(value.hookEventId.N), at: value.at?.S ?? '' };
}

function summaryFromItem(item: Item): DeliverySummary {
  const status = item.status?.S ?? 'queued';
  const summary: DeliverySummary = {
    id: item.id?.S ?? '',
    receivedAt: item.receivedAt?.S ?? '',
    event: item.event?.S ?? '',
    objectKind: item.objectKind?.S ?? null,
    projectId: item.projectId?.N !== undefined ? Number(item.projectId.N) : null,
    projectPath: item.projectPath?.S ?? null,
    ref: item.ref?.S ?? null,
    status: isDeliveryStatus(status) ? status : 'queued',
    attempts: Number(item.attempts?.N ?? '0'),
    updatedAt: item.updatedAt?.S ?? '',
    expiresAt: Number(item.expiresAt?.N ?? '0'),
  };
  if (item.statusReason?.S) summary.statusReason = item.statusReason.S;
  return summary;
}

function fromItem(item: Item): DeliveryRecord {
  const body = item.body?.B ? decodeBody(item.body.B) : { headers: {}, payload: '' };
  const authProject = authProjectFromItem(item);
  const recovered = recoveredFromItem(item);
  return {
    ...summaryFromItem(item),
    ...(authProject ? { authProject } : {}),
    ...(recovered ? { recovered } : {}),
    headers: body.headers,
    payload: body.payload,
    outcomes: JSON.parse(item.outcomes?.S ?? '[]') as ActionOutcome[],
  };
}
