/**
 * Bounds of an AWS SDK call. The SDK sets none by default (0 disables both timeouts), so an
 * endpoint that accepts the connection and never answers holds the call until the Lambda
 * times out; bounded, it fails like any other AWS error and the caller's handling applies
 * (the receiver answers 503, the worker retries the delivery).
 */
export interface AwsCallBounds {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: true;
  /** Attempts per call, the SDK's own retry included. */
  maxAttempts: number;
}

/**
 * The receiver must answer inside GitLab's 10 s webhook timeout (GitLab.com), and it makes up
 * to three calls (secret, record, queue): 2 attempts of 2 s each keep one stalled service to
 * about 4 s. A healthy call takes tens of milliseconds.
 */
export const RECEIVER_AWS_CALLS: AwsCallBounds = { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true, maxAttempts: 2 };

/** The worker has minutes (its Lambda timeout); 10 s a try is far above a healthy DynamoDB or SQS answer. */
export const WORKER_AWS_CALLS: AwsCallBounds = { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true, maxAttempts: 3 };

/** Client configuration that applies `bounds` (spread into an AWS SDK v3 client's constructor). */
export function boundedAwsClientConfig(bounds: AwsCallBounds): {
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean };
} {
  const { maxAttempts, ...requestHandler } = bounds;
  return { maxAttempts, requestHandler };
}
