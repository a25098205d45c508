import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { handleSlackInteraction, type SlackInteractionDeps } from './handle-slack-interaction.js';
import { handleWebhook, type ReceiverDeps } from './handle-webhook.js';
import { printable } from '../gitlab/printable.js';
import { withSummaryLine } from '../metrics-line.js';
import { routeRequest } from './routes.js';
import { SLACK_INTERACTIONS_PATH, type WebhookEndpoint } from './webhook-path.js';

/** An unknown path is logged up to this many characters. */
const MAX_LOGGED_PATH = 200;

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

/** What the Slack route needs beyond the webhook receiver's stores. */
export type SlackRouteDeps = Pick<SlackInteractionDeps, 'signingSecrets'>;

function jsonAnswer(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * The receiver as an API Gateway handler (REST API payload v1 or HTTP API payload v2): turns
 * the event into raw bytes and lower-cased headers, runs handleWebhook (or, on
 * `/slack/interactions`, handleSlackInteraction), shapes the answer.
 *
 * `endpoint: 'functionUrl'`: a function URL invokes the receiver for every path and method (its
 * events are payload v2 with `rawPath`), so the handler routes as the HTTP API's routes would,
 * answering 404 or 405 before it decodes the body (lib/receiver/routes.ts). Behind the HTTP API
 * (the default) the API has already routed, and a custom domain's base path may prefix rawPath.
 */
export function createApiGatewayHandler(deps: ReceiverDeps, slack?: SlackRouteDeps, options: { endpoint?: WebhookEndpoint } = {}) {
  const routesItself = options.endpoint === 'functionUrl';
  // One line per request in the common case: the counts and the summary together.
  return (event: ApiGatewayEvent): Promise<APIGatewayProxyResult> => withSummaryLine(deps.metrics, () => handle(event));

  async function handle(event: ApiGatewayEvent): Promise<APIGatewayProxyResult> {
    const method = isV2(event) ? event.requestContext.http.method : event.httpMethod;
    const path = isV2(event) ? event.rawPath : event.path;
    if (routesItself) {
      const routed = routeRequest(method ?? '', path ?? '');
      if (!('route' in routed)) {
        // The path is the caller's: trimmed, as every other text from a request is before it is logged.
        deps.metrics?.describe?.({ path: printable(path ?? '', MAX_LOGGED_PATH), statusCode: routed.statusCode });
        return jsonAnswer(routed.statusCode, routed.body);
      }
    }
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
    return jsonAnswer(response.statusCode, response.body);
  }
}
