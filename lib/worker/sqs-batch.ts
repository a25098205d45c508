import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseQueueMessage, type QueueMessage } from '../queue/queue.js';
import { processDelivery, type DeliveryResult, type WorkerDeps } from './process-delivery.js';
import { BridgeError } from '../errors.js';
import { withSummaryLine } from '../metrics-line.js';

/** Puts a message back on the queue later: SQS ChangeMessageVisibility. */
export interface VisibilityControl {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

/** The longest visibility timeout SQS accepts (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

export class DeliveryRetryError extends BridgeError {
  override readonly name = 'DeliveryRetryError';
}

/**
 * The worker's SQS consumer with partial batch responses: a delivery whose action failed
 * retryably fails only its own message; the others in the batch succeed. A downstream's
 * Retry-After becomes the message's visibility delay, so the queue waits instead of the Lambda.
 */
export function createSqsBatchHandler(deps: WorkerDeps, visibility?: VisibilityControl) {
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<DeliveryResult> => {
    let message;
    try {
      message = parseQueueMessage(record.body);
    } catch (error) {
      // A message that is not ours cannot succeed later; it is dropped with a log line
      // rather than cycling to the dead-letter queue.
      deps.log?.error('dropping malformed queue message', { messageId: record.messageId, error: (error as Error).message });
      return { kind: 'unknown' };
    }
    const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    // One line per delivery in the common case: its counts and its summary together.
    return withSummaryLine(deps.metrics, () => processRecord(record, message, attempt));
  };

  const processRecord = async (record: SQSRecord, message: QueueMessage, attempt: number): Promise<DeliveryResult> => {
    const result = await processDelivery(message, attempt, deps);
    if (result.kind === 'retry') {
      if (result.retryAfterMs !== undefined && visibility) {
        const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
        await visibility.delay(record.receiptHandle, seconds).catch((error: unknown) => {
          deps.log?.warn('could not delay message; the queue default applies', { error: (error as Error).message });
        });
      }
      throw new DeliveryRetryError(`delivery ${message.deliveryId}: ${result.error}`);
    }
    return result;
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    // One record at a time: two events of the same merge request or ref in one batch (opened,
    // then approved) then update its thread in order instead of racing for the parent message.
    processPartialResponse(event, recordHandler, processor, { throwOnFullBatchFailure: false, processInParallel: false });
}
