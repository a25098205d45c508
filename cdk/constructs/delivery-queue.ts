import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeliveryQueueProps {
  /** The worker's timeout: the visibility timeout is derived from it. */
  workerTimeout: Duration;
  /** Receives before SQS moves a message to the dead-letter queue. */
  maxReceiveCount: number;
  retainData: boolean;
}

/**
 * Lambda's guidance for SQS event sources: "set the source queue's visibility timeout to at
 * least six times the timeout that you configure on your function", so a batch retried after
 * throttling or a timeout is not received twice at once.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * The hand-off queue between receiver and worker, and its dead-letter queue. Both encrypted
 * with SQS-managed keys (no KMS key to pay for or grant) and reachable over TLS only.
 */
export class DeliveryQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: DeliveryQueueProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS keeps a message's original enqueue time when it moves to a DLQ, so the DLQ must
      // keep messages longer than the source queue does; 14 days is SQS's maximum.
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy,
    });
  }
}
