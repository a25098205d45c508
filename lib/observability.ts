import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMES, METRICS_NAMESPACE, type MetricService } from './metrics-names.js';

type Counter = Exclude<keyof typeof METRIC_NAMES, 'latency'>;

/** Counters and timings in CloudWatch Embedded Metric Format, with the delivery's summary on the same line. */
export interface EmfMetrics {
  count(name: Counter, value?: number): void;
  timing(name: 'DeliveryLatency', ms: number): void;
  /** Fields that describe the delivery (ids, status, counts, durations), written on the next flushed line. */
  describe(fields: Record<string, unknown>): void;
  /** Writes what was counted and described since the last flush as one line; nothing when both are empty. */
  flush(): void;
}

/**
 * Counters as CloudWatch Embedded Metric Format lines (Powertools Metrics): no PutMetricData
 * call, no IAM permission. Counts are buffered and written once per invocation (or per
 * delivery), together with the delivery's summary fields: in the common case that line is the
 * only one a delivery writes (issue 15: each EMF line costs ~215 bytes of CloudWatch Logs, a
 * separate summary line ~240). The handlers flush in a `finally`, before Lambda can freeze;
 * only an invocation killed by its timeout loses its counts, and that delivery is retried.
 *
 * The summary fields sit beside the metrics as EMF "target members": CloudWatch keeps them in
 * the log line (queryable in Logs Insights) and makes no metric of them.
 */
export function emfMetrics(service: MetricService): EmfMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  let fields: Record<string, unknown> = {};
  return {
    count(name, value = 1) {
      metrics.addMetric(METRIC_NAMES[name], MetricUnit.Count, value);
    },
    timing(_name, ms) {
      metrics.addMetric(METRIC_NAMES.latency, MetricUnit.Milliseconds, ms);
    },
    describe(more) {
      fields = { ...fields, ...more };
    },
    flush() {
      const described = fields;
      fields = {};
      if (!metrics.hasStoredMetrics()) {
        if (Object.keys(described).length > 0) writeLine({ level: 'INFO', service, timestamp: new Date().toISOString(), ...described });
        return;
      }
      // The metric names and `service` win over a summary field of the same name: the alarms read them.
      const emf = metrics.serializeMetrics();
      metrics.clearMetrics();
      writeLine({ ...described, ...emf });
    },
  };
}

function writeLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * Structured JSON logs (Powertools Logger). Callers pass ids and reasons, never secrets.
 * `debug` lines (each step of a delivery) are written only with `POWERTOOLS_LOG_LEVEL=DEBUG`
 * (or `LOG_LEVEL`, or Lambda's `AWS_LAMBDA_LOG_LEVEL`); the default level is INFO.
 */
export function jsonLogger(service: string) {
  const logger = new Logger({ serviceName: service });
  return {
    debug: (message: string, extra: Record<string, unknown> = {}) => logger.debug(message, extra),
    info: (message: string, extra: Record<string, unknown> = {}) => logger.info(message, extra),
    warn: (message: string, extra: Record<string, unknown> = {}) => logger.warn(message, extra),
    error: (message: string, extra: Record<string, unknown> = {}) => logger.error(message, extra),
  };
}
