import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  type MetricOptions,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRIC_NAMES, METRIC_SERVICE_DIMENSION, METRIC_SERVICES, type MetricName, type MetricService } from '../../lib/metrics-names.js';
import type { WebhookEndpoint } from '../../lib/receiver/webhook-path.js';

/** Options every endpoint metric takes (period, statistic, label). */
type EndpointMetricOptions = MetricOptions;

/**
 * The webhook endpoint's request metrics, from whichever endpoint the stack has: the HTTP API's
 * (WebhookApi) or the receiver's function URL ones (WebhookFunctionUrl).
 */
export interface WebhookEndpointMetrics {
  kind: WebhookEndpoint;
  requests(options: EndpointMetricOptions): IMetric;
  clientErrors(options: EndpointMetricOptions): IMetric;
  serverErrors(options: EndpointMetricOptions): IMetric;
  latency(options: EndpointMetricOptions): IMetric;
  /** Requests answered 429 before the receiver ran: the API stage's throttle, or Lambda's at the reservation. */
  throttled: IMetric;
}

export interface MonitoringProps {
  /** The webhook endpoint's requests, 4xx, 5xx, latency and throttled requests. */
  endpoint: WebhookEndpointMetrics;
  receiver: IFunction;
  worker: IFunction;
  /** The scheduled recovery function (docs/recovery.md). */
  recovery?: IFunction;
  /** The recovery function's log group: its `hook health` lines feed the per-project table. */
  recoveryLogGroup?: ILogGroup;
  queue: IQueue;
  deadLetterQueue: IQueue;
  /** Subscribed to the alarm topic by email when set (the recipient must confirm). */
  alarmEmail?: string;
}

/** Alarm evaluation period: short enough to page within minutes, long enough to not flap. */
const PERIOD = Duration.minutes(5);

/** A delivery older than this in the queue means the worker is stuck or throttled. */
export const QUEUE_AGE_ALARM_SECONDS = 15 * 60;

/**
 * The endpoint's 4xx share that means "look": GitLab's own deliveries are refused (a rotated
 * token, an oversized body) or someone is probing the URL. A few refused requests among many
 * are normal, so the rate counts only from MIN_REQUESTS_FOR_RATE requests per period on.
 */
export const CLIENT_ERROR_RATE_ALARM_PERCENT = 25;
export const MIN_REQUESTS_FOR_RATE = 20;

/**
 * Any sustained throttling: a 429 may have hit one of GitLab's deliveries, and GitLab disables
 * a hook whose deliveries keep failing ("Failing webhooks", GitLab docs).
 */
export const THROTTLED_RATE_ALARM_PERCENT = 1;

/**
 * Refused Slack clicks (401 on /slack/interactions) in 5 minutes that mean "look". Slack signs
 * every genuine click, so a refusal is a signing secret that is unset, stale after a rotation or
 * of another app (then every click fails, and a person who sees nothing clicks again), or someone
 * probing the URL. Clicks are rare, so a few already say it.
 */
export const SLACK_REJECTED_ALARM_COUNT = 3;

/** A bridge metric (EMF, namespace GitLabBridge) for one function. */
export function bridgeMetric(name: MetricName, service: MetricService, statistic: string, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [METRIC_SERVICE_DIMENSION]: service },
    statistic,
    period: PERIOD,
    ...(label ? { label } : {}),
  });
}

/**
 * Alarms to an SNS topic (optionally emailed) and one dashboard. Every alarm means "someone
 * should look": a delivery in the dead-letter queue, the worker erroring or failing deliveries,
 * the receiver answering 5xx (GitLab then shows the hook as failing), throttling, a stuck queue,
 * and the webhook endpoint refusing (4xx) or throttling (429) a large share of its requests.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const { endpoint } = props;
    const functionUrl = endpoint.kind === 'functionUrl';
    // A function URL has no access log: the receiver's own log lines are what is left.
    const whereToLook = functionUrl ? "The receiver's logs say which (a function URL writes no access log)." : 'The access logs (status, ip) say which.';

    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${stackName} alarms`, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const alarm = (alarmId: string, metric: IMetric, description: string, threshold = 1): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${stackName}-${alarmId}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no traffic, not a problem.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'DeadLetterQueueNotEmpty',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      'A delivery exhausted its attempts and sits in the dead-letter queue. Its record in the delivery log says why (status failed); fix the cause, then replay it with the CLI.',
    );
    alarm(
      'WorkerErrors',
      props.worker.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      'The worker Lambda failed a whole invocation (crash or timeout); its batch returns to the queue.',
    );
    alarm(
      'DeliveriesFailed',
      bridgeMetric(METRIC_NAMES.failed, METRIC_SERVICES.worker, 'Sum'),
      'A delivery finished failed or partial: Slack, Teams or Jira refused an action or the config is wrong (recorded, not retried, so never in the dead-letter queue), or its last attempt failed. Read the outcomes on the delivery, fix, replay.',
    );
    alarm(
      'Receiver5xx',
      endpoint.serverErrors({ period: PERIOD, statistic: 'Sum' }),
      'The webhook endpoint answered 5xx: a delivery could not be made durable, and GitLab shows the hook as failing. Resend from GitLab once fixed.',
    );
    alarm(
      'Throttles',
      new MathExpression({
        expression: 'receiver + worker',
        usingMetrics: {
          receiver: props.receiver.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
          worker: props.worker.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        },
        label: 'Lambda throttles',
        period: PERIOD,
      }),
      'Lambda throttled the receiver or the worker: the account concurrency limit is reached.',
    );
    const clientErrorRate = new MathExpression({
      expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`,
      usingMetrics: {
        errors: endpoint.clientErrors({ period: PERIOD, statistic: 'Sum' }),
        requests: endpoint.requests({ period: PERIOD, statistic: 'Sum' }),
      },
      label: '4xx (% of requests)',
      period: PERIOD,
    });
    // The access-log metric has no data in a period without a 429 (see WebhookApi), nor does
    // Lambda's Throttles; FILL makes it 0.
    const throttledRate = new MathExpression({
      expression: '100 * FILL(throttled, 0) / requests',
      usingMetrics: { throttled: endpoint.throttled, requests: endpoint.requests({ period: PERIOD, statistic: 'Sum' }) },
      label: '429 throttled (% of requests)',
      period: PERIOD,
    });
    alarm(
      'Webhook4xxRate',
      clientErrorRate,
      `Over ${CLIENT_ERROR_RATE_ALARM_PERCENT}% of webhook requests got a 4xx (at least ${MIN_REQUESTS_FOR_RATE} requests in 5 minutes): GitLab's token or payloads are refused (401, 413, 415), the ${functionUrl ? "receiver's reserved concurrency" : 'stage'} throttles (429), or someone is probing the URL. ${whereToLook}`,
      CLIENT_ERROR_RATE_ALARM_PERCENT,
    );
    alarm(
      'WebhookThrottledRate',
      throttledRate,
      functionUrl
        ? `Over ${THROTTLED_RATE_ALARM_PERCENT}% of webhook requests were throttled (429) by Lambda: the receiver ran at its reserved concurrency (receiverReservedConcurrency), the only flood cap of a function URL. GitLab's deliveries may be among them, and GitLab disables hooks that keep failing: find the sender in the receiver's logs, then block it or raise the reservation (docs/deploy.md, "Endpoint").`
        : `Over ${THROTTLED_RATE_ALARM_PERCENT}% of webhook requests were throttled (429) by the API stage (apiRateLimit/apiBurstLimit). GitLab's deliveries may be among them, and GitLab disables hooks that keep failing: find the sender in the access logs, then block it or raise the limits (docs/deploy.md, "Flood protection").`,
      THROTTLED_RATE_ALARM_PERCENT,
    );
    alarm(
      'SlackInteractionsRejected',
      bridgeMetric(METRIC_NAMES.slackRejected, METRIC_SERVICES.receiver, 'Sum'),
      `At least ${SLACK_REJECTED_ALARM_COUNT} Slack button clicks in 5 minutes got a 401 (SlackInteractionsRejected): the signing secret in GitLabBridge/slack-signing-secret is unset, stale or of another Slack app (docs/deploy.md), or someone is probing /slack/interactions. ${whereToLook}`,
      SLACK_REJECTED_ALARM_COUNT,
    );
    alarm(
      'QueueBacklogAge',
      props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      `The oldest queued delivery waited over ${QUEUE_AGE_ALARM_SECONDS / 60} minutes: the worker is stuck, failing, or capped too low (workerMaxConcurrency).`,
      QUEUE_AGE_ALARM_SECONDS,
    );

    if (props.recovery) {
      alarm(
        'RecoveryErrors',
        props.recovery.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        'The recovery Lambda failed a scan (no GitLab API token, GitLab unreachable, or a crash): deliveries GitLab failed to make are not being recovered. Its logs say why; GitLab keeps hook events 7 days.',
      );
      alarm(
        'RecoveryHookProblems',
        bridgeMetric(METRIC_NAMES.hookProblems, METRIC_SERVICES.recovery, 'Maximum'),
        'A bridge hook is disabled by GitLab after failed deliveries, missing, or unreadable by the API token. While disabled GitLab logs nothing, so those events cannot be recovered: fix the cause, then `gitlab-bridge gitlab connect --project P --test` and `gitlab-bridge gitlab recover` (docs/recovery.md).',
      );
      alarm(
        'RecoveryFailures',
        bridgeMetric(METRIC_NAMES.recoveryFailed, METRIC_SERVICES.recovery, 'Sum'),
        "A failed delivery in GitLab's hook event log could not be recovered (another project's event, not JSON, or the delivery log unavailable). The recovery logs name the hook and event; `gitlab-bridge gitlab recover --project P` shows it.",
      );
    }

    const { receiver, worker } = METRIC_SERVICES;
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: stackName, defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${stackName}\nGitLab webhooks → receiver → queue → worker → Slack / Teams / Jira. Alarms go to the SNS topic \`${this.topic.topicName}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Deliveries',
        width: 12,
        left: [
          bridgeMetric(METRIC_NAMES.received, receiver, 'Sum', 'received'),
          bridgeMetric(METRIC_NAMES.processed, worker, 'Sum', 'processed'),
          bridgeMetric(METRIC_NAMES.failed, worker, 'Sum', 'failed'),
          bridgeMetric(METRIC_NAMES.retried, worker, 'Sum', 'retried'),
        ],
      }),
      new GraphWidget({
        title: 'Refused, duplicate and ignored deliveries',
        width: 12,
        left: [
          bridgeMetric(METRIC_NAMES.rejected, receiver, 'Sum', 'rejected (401)'),
          bridgeMetric(METRIC_NAMES.slackRejected, receiver, 'Sum', 'Slack clicks rejected (401)'),
          bridgeMetric(METRIC_NAMES.duplicate, receiver, 'Sum', 'duplicate'),
          bridgeMetric(METRIC_NAMES.ignored, receiver, 'Sum', 'ignored (event not handled)'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Delivery latency (received → processed, ms)',
        width: 12,
        left: [
          bridgeMetric(METRIC_NAMES.latency, worker, 'p50', 'p50'),
          bridgeMetric(METRIC_NAMES.latency, worker, 'p99', 'p99'),
          bridgeMetric(METRIC_NAMES.latency, worker, 'Maximum', 'max'),
        ],
      }),
      new GraphWidget({
        title: 'Queue',
        width: 12,
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'queued' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'dead-letter' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label: 'oldest (s)' })],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook endpoint',
        width: 12,
        left: [
          endpoint.requests({ period: PERIOD, statistic: 'Sum', label: 'requests' }),
          endpoint.clientErrors({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
          endpoint.serverErrors({ period: PERIOD, statistic: 'Sum', label: '5xx' }),
        ],
        right: [endpoint.latency({ period: PERIOD, statistic: 'p99', label: 'latency p99 (ms)' })],
      }),
      new GraphWidget({
        title: 'Functions',
        width: 12,
        left: [
          props.receiver.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'receiver errors' }),
          props.worker.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'worker errors' }),
          props.receiver.metricThrottles({ period: PERIOD, statistic: 'Sum', label: 'receiver throttles' }),
          props.worker.metricThrottles({ period: PERIOD, statistic: 'Sum', label: 'worker throttles' }),
        ],
        right: [
          props.receiver.metricDuration({ period: PERIOD, statistic: 'p99', label: 'receiver p99 (ms)' }),
          props.worker.metricDuration({ period: PERIOD, statistic: 'p99', label: 'worker p99 (ms)' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhook refusals (% of requests)',
        width: 12,
        left: [clientErrorRate, throttledRate],
        leftYAxis: { min: 0, max: 100 },
      }),
      new GraphWidget({
        title: 'Webhook requests throttled (429)',
        width: 12,
        left: [endpoint.throttled],
      }),
    );
    if (props.recovery) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: "Recovered from GitLab's hook event log",
          left: [
            bridgeMetric(METRIC_NAMES.recovered, METRIC_SERVICES.recovery, 'Sum', 'recovered'),
            bridgeMetric(METRIC_NAMES.recoveryFailed, METRIC_SERVICES.recovery, 'Sum', 'not recoverable'),
            bridgeMetric(METRIC_NAMES.hookProblems, METRIC_SERVICES.recovery, 'Maximum', 'hooks needing attention'),
          ],
          width: 12,
        }),
        new GraphWidget({
          title: 'Hook health as GitLab sees it: worst failed share, last hour (%)',
          left: [bridgeMetric(METRIC_NAMES.hookFailureShare, METRIC_SERVICES.recovery, 'Maximum', 'failed deliveries (% of the hook’s last hour)')],
          width: 12,
        }),
      );
      if (props.recoveryLogGroup) {
        this.dashboard.addWidgets(
          new LogQueryWidget({
            title: "Failed share of each project's deliveries, last hour (GitLab's hook event log)",
            logGroupNames: [props.recoveryLogGroup.logGroupName],
            queryLines: [
              'fields @timestamp, project, events, failed, sharePercent',
              'filter message = "hook health"',
              'stats latest(sharePercent) as failedPercent, latest(failed) as failed, latest(events) as events by project',
              'sort failedPercent desc',
            ],
            width: 24,
          }),
        );
      }
    }
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}
