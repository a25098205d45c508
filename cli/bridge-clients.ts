import { DynamoDbDeliveryStore } from '../lib/deliveries/dynamodb-store.js';
import type { DeliveryRecord } from '../lib/deliveries/record.js';
import type { DeliveryPage, DeliveryQuery, DeliveryStore } from '../lib/deliveries/store.js';
import { SqsDeliveryQueue } from '../lib/queue/sqs-queue.js';
import type { DeliveryQueue, QueueMessage } from '../lib/queue/queue.js';
import { awsErrorToCliError, type AwsErrorSubject } from './aws-errors.js';
import type { CliContext } from './context.js';
import type { BridgeResources } from './resources.js';

/**
 * The delivery store with AWS failures turned into one-line CLI errors ("table ... does not
 * exist; check --table ..."), so every command reports them the same way.
 */
class ReportingDeliveryStore implements DeliveryStore {
  constructor(
    private readonly inner: DeliveryStore,
    private readonly subject: AwsErrorSubject,
  ) {}

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw awsErrorToCliError(error, this.subject);
    }
  }

  create: DeliveryStore['create'] = (delivery) => this.call(() => this.inner.create(delivery));
  get = (id: string): Promise<DeliveryRecord | undefined> => this.call(() => this.inner.get(id));
  finishAttempt: DeliveryStore['finishAttempt'] = (id, attempt) => this.call(() => this.inner.finishAttempt(id, attempt));
  markQueuedForReplay = (id: string): Promise<void> => this.call(() => this.inner.markQueuedForReplay(id));
  list = (query: DeliveryQuery): Promise<DeliveryPage> => this.call(() => this.inner.list(query));
}

class ReportingQueue implements DeliveryQueue {
  constructor(
    private readonly inner: DeliveryQueue,
    private readonly subject: AwsErrorSubject,
  ) {}

  async send(message: QueueMessage): Promise<void> {
    try {
      await this.inner.send(message);
    } catch (error) {
      throw awsErrorToCliError(error, this.subject);
    }
  }
}

/** The delivery log of the bridge the flags/env/stack point at. */
export async function openDeliveryStore(context: CliContext, resources: BridgeResources): Promise<DeliveryStore> {
  const tableName = await resources.tableName();
  const endpoint = context.env.AWS_ENDPOINT_URL_DYNAMODB || context.env.AWS_ENDPOINT_URL;
  return new ReportingDeliveryStore(new DynamoDbDeliveryStore({ client: context.aws.dynamodb(), tableName }), {
    resource: `DynamoDB table ${tableName}`,
    ...(endpoint ? { endpoint } : {}),
  });
}

/** The worker's queue of the bridge the flags/env/stack point at. */
export async function openDeliveryQueue(context: CliContext, resources: BridgeResources): Promise<DeliveryQueue> {
  const queueUrl = await resources.queueUrl();
  const endpoint = context.env.AWS_ENDPOINT_URL_SQS || context.env.AWS_ENDPOINT_URL;
  return new ReportingQueue(new SqsDeliveryQueue(context.aws.sqs(), queueUrl), { resource: `SQS queue ${queueUrl}`, ...(endpoint ? { endpoint } : {}) });
}
