import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every metric the bridge emits (cdk/ builds alarms on it). */
export const METRICS_NAMESPACE = 'GitLabBridge';

/** `received` -> `DeliveriesReceived`: the metric names the dashboard and alarms use. */
export function metricName(counter: string): string {
  return `Deliveries${counter.charAt(0).toUpperCase()}${counter.slice(1)}`;
}

/**
 * Counters as CloudWatch Embedded Metric Format lines (Powertools Metrics): no PutMetricData
 * call, no IAM permission, flushed with each count so nothing is lost if the Lambda freezes.
 */
export function emfMetrics(service: string): { count(name: string): void; timing(name: string, ms: number): void } {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  return {
    count(name) {
      metrics.addMetric(metricName(name), MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
    timing(name, ms) {
      metrics.addMetric(name, MetricUnit.Milliseconds, ms);
      metrics.publishStoredMetrics();
    },
  };
}

/** Structured JSON logs (Powertools Logger). Callers pass ids and reasons, never secrets. */
export function jsonLogger(service: string) {
  const logger = new Logger({ serviceName: service });
  return {
    info: (message: string, extra: Record<string, unknown> = {}) => logger.info(message, extra),
    warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, extra),
    error: (message: string, extra: Record<string, unknown> = {}) => logger.error(message, extra),
  };
}
