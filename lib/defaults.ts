/**
 * The bridge's defaults, each in one place: the Lambda entries (functions/), the local bridge
 * (lib/local) and the stack's context defaults (cdk/settings.ts) all read them from here.
 * Nothing here loads a client or a schema, so any bundle can import it.
 */
export const DEFAULTS = {
  /**
   * Worker attempts before SQS moves a delivery to the dead-letter queue (maxReceiveCount).
   * Five attempts with a 6-minute visibility timeout spread retries over roughly half an hour,
   * enough to ride out a short Slack or Jira incident before the dead-letter queue.
   */
  maxAttempts: 5,
  /** Deliveries per worker invocation (the SQS event source's batchSize; the local poller's too). */
  workerBatchSize: 5,
  /** Largest accepted webhook body: 5 MiB, under Lambda's 6 MB invocation payload limit. */
  maxBodyBytes: 5 * 1024 * 1024,
  /** Days a delivery record is kept before DynamoDB's TTL removes it. */
  retentionDays: 30,
  /** Allowed clock skew for signed webhooks, in seconds: the five minutes the standardwebhooks package fixes. */
  signatureToleranceSeconds: 300,
} as const;
