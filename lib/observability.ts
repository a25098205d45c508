import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMES, METRICS_NAMESPACE, type MetricService } from './metrics-names.js';

type Counter = Exclude<keyof typeof METRIC_NAMES, 'latency'>;

/**
 * Counters as CloudWatch Embedded Metric Format lines (Powertools Metrics): no PutMetricData
 * call, no IAM permission, flushed with each count so nothing is lost if the Lambda freezes.
 */
export function emfMetrics(service: MetricService): { count(name: Counter, value?: number): void; timing(name: 'DeliveryLatency', ms: number): void } {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  return {
    count(name, value = 1) {
      metrics.addMetric(METRIC_NAMES[name], MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
    timing(_name, ms) {
      metrics.addMetric(METRIC_NAMES.latency, MetricUnit.Milliseconds, ms);
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
