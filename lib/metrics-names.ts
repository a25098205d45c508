/**
 * Names of the CloudWatch metrics the functions emit (Embedded Metric Format) and the stack's
 * alarms and dashboard read. Both sides import them from here, so a renamed metric cannot leave
 * an alarm watching nothing.
 *
 * Every metric carries exactly one dimension, `service` (Powertools Metrics' default dimension),
 * whose value is the emitting function: an alarm matches a metric only on the full set of
 * dimensions, so adding a dimension to a metric means adding it in cdk/ too.
 */
export const METRICS_NAMESPACE = 'GitLabBridge';

/** The dimension naming the emitting function. */
export const METRIC_SERVICE_DIMENSION = 'service';

/** Values of the `service` dimension. */
export const METRIC_SERVICES = {
  receiver: 'receiver',
  worker: 'worker',
  recovery: 'recovery',
} as const;

export type MetricService = (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES];

export const METRIC_NAMES = {
  /** Receiver: a delivery was accepted and recorded (count). */
  received: 'DeliveriesReceived',
  /** Receiver: a request was refused with 401 (missing or wrong token or signature; count). */
  rejected: 'DeliveriesRejected',
  /** Receiver: a Slack interaction refused with 401 (missing, stale or wrong signature; count). */
  slackRejected: 'SlackInteractionsRejected',
  /** Receiver: a redelivery of an already recorded delivery (count). */
  duplicate: 'DeliveriesDuplicate',
  /** Worker: a delivery finished processing (count). */
  processed: 'DeliveriesProcessed',
  /** Receiver: recorded as `ignored` (an event the bridge does not handle; count). */
  ignored: 'DeliveriesIgnored',
  /**
   * Worker: a delivery finished `failed` or `partial` (count): a downstream refused an action or
   * the config is wrong (recorded, not retried, never in the DLQ), or the last attempt failed
   * (then also in the DLQ). The receiver counts `failed` too when it could not record or queue a
   * delivery (its 5xx).
   */
  failed: 'DeliveriesFailed',
  /** Worker: an attempt failed with a retryable error; SQS redelivers it (count). */
  retried: 'DeliveriesRetried',
  /** Recovery: a failed delivery recovered from GitLab's hook event log, or resent by GitLab (count). */
  recovered: 'DeliveriesRecovered',
  /** Recovery: a failed event that could not be recovered (count). */
  recoveryFailed: 'RecoveryFailures',
  /** Recovery: a bridge hook disabled by GitLab, missing, or unreadable (count per scan). */
  hookProblems: 'RecoveryHookProblems',
  /** Recovery: the largest share (%) of a bridge hook's deliveries in the last hour that GitLab logged as failed. */
  hookFailureShare: 'HookFailureSharePercent',
  /** Worker: time from `receivedAt` to the end of processing (milliseconds). */
  latency: 'DeliveryLatency',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
