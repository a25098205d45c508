import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

import { METRICS_NAMESPACE } from '../../lib/metrics-names.js';
import type { WebhookEndpointMetrics } from './monitoring.js';
import { SLACK_INTERACTIONS_PATH, WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';

export interface WebhookApiProps {
  receiver: IFunction;
  /** Steady-state requests per second across the API. */
  rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  burstLimit: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * One access-log line per request, JSON so CloudWatch Logs Insights can filter on fields.
 * Request headers are deliberately absent: X-Gitlab-Token is one of them.
 * Variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
} as const;

/**
 * Requests the stage throttle answered 429, counted from the access logs (namespace
 * GitLabBridge, dimension ApiId). HTTP APIs publish only `Count`, `4xx`, `5xx`, `Latency`,
 * `IntegrationLatency` and `DataProcessed` (API Gateway developer guide, "Monitor CloudWatch
 * metrics for HTTP APIs"), so a throttled request is otherwise just one more 4xx.
 */
export const THROTTLED_METRIC_NAME = 'WebhookThrottled';

/**
 * HTTP API (API Gateway v2) in front of the receiver: `POST /webhooks/gitlab`, payload format
 * 2.0, one `$default` stage with throttling and JSON access logs. Other paths and methods get
 * API Gateway's own 404 without invoking the receiver.
 */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly route: HttpRoute;
  readonly accessLogs: LogGroup;
  /** The full URL to paste into GitLab. */
  readonly webhookUrl: string;
  /** `POST /slack/interactions`: the Slack app's interactivity route (the same receiver). */
  readonly slackRoute: HttpRoute;
  /** The Slack app's Interactivity Request URL (docs/slack-app-manifest.yaml). */
  readonly slackInteractionsUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'GitLab webhooks -> gitlab-bridge receiver',
      // The stage is created below, with access logs and throttling the default stage lacks.
      createDefaultStage: false,
    });
    [this.route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Receiver', props.receiver),
    }) as [HttpRoute];
    [this.slackRoute] = this.api.addRoutes({
      path: SLACK_INTERACTIONS_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('SlackInteractions', props.receiver),
    }) as [HttpRoute];

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.accessLogs.addMetricFilter('Throttled', {
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: THROTTLED_METRIC_NAME,
      metricValue: '1',
      // Keeps two bridges in one account apart. (A filter with dimensions can have no default
      // value, so a period without a 429 has no data; the alarm's math fills it with 0.)
      dimensions: { ApiId: '$.apiId' },
    });
    // stage.url ends with "/" for the $default stage.
    this.webhookUrl = `${this.stage.url.replace(/\/$/, '')}${WEBHOOK_PATH}`;
    this.slackInteractionsUrl = `${this.stage.url.replace(/\/$/, '')}${SLACK_INTERACTIONS_PATH}`;
    Validations.of(this.slackRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Slack's interactivity requests cannot present IAM, JWT or Cognito credentials; they carry X-Slack-Signature (HMAC-SHA256 with the app's signing secret), which the receiver verifies in constant time, with a 5-minute timestamp window, before parsing or writing anything. Refused requests get 401 and are counted in SlackInteractionsRejected.",
    });

    Validations.of(this.route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GitLab webhooks cannot present IAM, JWT or Cognito credentials; they send X-Gitlab-Token (and optionally a Standard Webhooks signature), which the receiver verifies in constant time before writing anything. Refused requests get 401 and are counted in DeliveriesRejected.',
    });
  }

  /** The API's request metrics (API Gateway, AWS/ApiGateway) and the stage throttle's 429s. */
  endpointMetrics(): WebhookEndpointMetrics {
    return {
      kind: 'api',
      requests: (options) => this.api.metricCount(options),
      clientErrors: (options) => this.api.metricClientError(options),
      serverErrors: (options) => this.api.metricServerError(options),
      latency: (options) => this.api.metricLatency(options),
      throttled: this.metricThrottled(),
    };
  }

  /** Requests the stage throttle answered 429 (from the access logs; see THROTTLED_METRIC_NAME). */
  metricThrottled(props: MetricOptions = {}): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: THROTTLED_METRIC_NAME,
      dimensionsMap: { ApiId: this.api.apiId },
      statistic: 'Sum',
      ...props,
    });
  }
}
