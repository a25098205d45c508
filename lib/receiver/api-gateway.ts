import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { handleSlackInteraction, type SlackInteractionDeps } from './handle-slack-interaction.js';
import { handleWebhook, type ReceiverDeps } from './handle-webhook.js';
import { SLACK_INTERACTIONS_PATH } from './webhook-path.js';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

/** What the Slack route needs beyond the webhook receiver's stores. */
export type SlackRouteDeps = Pick<SlackInteractionDeps, 'signingSecrets'>;

/**
 * The receiver as an API Gateway handler (REST API payload v1 or HTTP API payload v2): turns
 * the event into raw bytes and lower-cased headers, runs handleWebhook (or, on
 * `/slack/interactions`, handleSlackInteraction), shapes the answer.
 */
export function createApiGatewayHandler(deps: ReceiverDeps, slack?: SlackRouteDeps) {
  return async (event: ApiGatewayEvent): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    try {
      return await handle(event);
    } finally {
      // One line per request in the common case: the counts and the summary together.
      deps.metrics?.describe?.({ ms: Math.round(performance.now() - started) });
      deps.metrics?.flush?.();
    }
  };

  async function handle(event: ApiGatewayEvent): Promise<APIGatewayProxyResult> {
    const method = isV2(event) ? event.requestContext.http.method : event.httpMethod;
    const path = isV2(event) ? event.rawPath : event.path;
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value ?? undefined;
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    const response =
      path === SLACK_INTERACTIONS_PATH
        ? await handleSlackInteraction(
            { method, headers, body },
            {
              deliveries: deps.deliveries,
              queue: deps.queue,
              // No Slack app configured: every click is unverifiable (401), never a 5xx.
              signingSecrets: slack?.signingSecrets ?? (async () => []),
              ...(deps.now ? { now: deps.now } : {}),
              ...(deps.retentionDays !== undefined ? { retentionDays: deps.retentionDays } : {}),
              ...(deps.metrics ? { metrics: deps.metrics } : {}),
              ...(deps.log ? { log: deps.log } : {}),
            },
          )
        : await handleWebhook({ method, headers, body }, deps);
    // Short keys and only what an operator needs: every line is billed per byte (issue 15).
    deps.metrics?.describe?.({
      ...(path === SLACK_INTERACTIONS_PATH ? { path } : {}),
      deliveryId: response.body.deliveryId,
      ...(typeof response.body.status === 'string' ? { status: response.body.status } : { statusCode: response.statusCode }),
      ...(response.body.duplicate === true ? { duplicate: true } : {}),
    });
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(response.body),
    };
  }
}
