/** What goes on the queue: only the delivery id; the worker loads the record from DynamoDB. */
export interface QueueMessage {
  /** Message format version, so a worker can tell an older message from a newer one. */
  v: 1;
  deliveryId: string;
  /** Set by `deliveries replay`: run even if the delivery is already done. */
  replay?: boolean;
  /** Set by `deliveries replay --force`: re-run actions whose effect keys say they succeeded. */
  force?: boolean;
}

export interface DeliveryQueue {
  send(message: QueueMessage): Promise<void>;
}

/** Parses a queue message body; throws with a clear message on anything else. */
export function parseQueueMessage(body: string): QueueMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('queue message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error('queue message is not an object');
  const message = parsed as Record<string, unknown>;
  if (message.v !== 1 || typeof message.deliveryId !== 'string' || message.deliveryId === '') {
    throw new Error('queue message has no deliveryId');
  }
  return {
    v: 1,
    deliveryId: message.deliveryId,
    ...(message.replay === true ? { replay: true } : {}),
    ...(message.force === true ? { force: true } : {}),
  };
}
