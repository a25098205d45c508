import { FunctionUrlAuthType, InvokeMode, type FunctionUrl, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SLACK_INTERACTIONS_PATH, WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import type { WebhookEndpointMetrics } from './monitoring.js';

export interface WebhookFunctionUrlProps {
  receiver: IFunction;
}

/**
 * A Lambda function URL on the receiver (`-c endpoint=functionUrl`), in place of the HTTP API:
 * no per-request charge, but no rate or burst throttling and no access log. Every path and method
 * reaches the receiver, which routes them as the API's routes do (lib/receiver/routes.ts). Auth
 * NONE: GitLab and Slack cannot sign requests with SigV4; the receiver verifies X-Gitlab-Token
 * (or the Standard Webhooks signature) and X-Slack-Signature before it reads anything else. A
 * flood is capped only by the receiver's reserved concurrency (cdk/settings.ts), answered 429.
 */
export class WebhookFunctionUrl extends Construct {
  readonly url: FunctionUrl;
  /** The full URL to paste into GitLab. */
  readonly webhookUrl: string;
  /** The Slack app's Interactivity Request URL (docs/slack-app-manifest.yaml). */
  readonly slackInteractionsUrl: string;
  private readonly receiver: IFunction;

  constructor(scope: Construct, id: string, props: WebhookFunctionUrlProps) {
    super(scope, id);
    this.receiver = props.receiver;
    // Buffered, not streamed: the receiver answers once, after the delivery is durable. No CORS:
    // browsers have no business calling it.
    this.url = props.receiver.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.BUFFERED });
    // url ends with "/" (https://<id>.lambda-url.<region>.on.aws/).
    this.webhookUrl = `${this.url.url}${WEBHOOK_PATH.replace(/^\//, '')}`;
    this.slackInteractionsUrl = `${this.url.url}${SLACK_INTERACTIONS_PATH.replace(/^\//, '')}`;
  }

  /**
   * The function URL's own metrics (AWS/Lambda, dimension FunctionName: UrlRequestCount,
   * Url4xxCount, Url5xxCount, UrlRequestLatency; Lambda developer guide, "Monitoring Lambda
   * function URLs"), and Lambda's Throttles for the 429s the reservation answers.
   */
  endpointMetrics(): WebhookEndpointMetrics {
    return {
      kind: 'functionUrl',
      requests: (options) => this.receiver.metric('UrlRequestCount', options),
      clientErrors: (options) => this.receiver.metric('Url4xxCount', options),
      serverErrors: (options) => this.receiver.metric('Url5xxCount', options),
      latency: (options) => this.receiver.metric('UrlRequestLatency', options),
      throttled: this.receiver.metricThrottles({ statistic: 'Sum' }),
    };
  }
}
