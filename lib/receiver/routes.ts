import { SLACK_INTERACTIONS_PATH, WEBHOOK_PATH } from './webhook-path.js';

/** The receiver's two routes, as the HTTP API declares them (cdk/constructs/webhook-api.ts). */
export type ReceiverRoute = 'webhook' | 'slackInteractions';

const ROUTES: ReadonlyMap<string, ReceiverRoute> = new Map([
  [WEBHOOK_PATH, 'webhook'],
  [SLACK_INTERACTIONS_PATH, 'slackInteractions'],
]);

/** An answer given from the method and path alone, before the body is read. */
export interface RouteRefusal {
  statusCode: 404 | 405;
  body: { error: string };
}

/**
 * Routes a request by its exact path and method, as the HTTP API's routes `POST /webhooks/gitlab`
 * and `POST /slack/interactions` do: any other path is 404 and another method on a known path is
 * 405, both decided before the body is read or parsed. For endpoints that pass every path to
 * the receiver: the local bridge's HTTP adapter and a Lambda function URL.
 */
export function routeRequest(method: string, path: string): { route: ReceiverRoute } | RouteRefusal {
  const route = ROUTES.get(path);
  if (route === undefined) return { statusCode: 404, body: { error: `not found; GitLab webhooks go to POST ${WEBHOOK_PATH}` } };
  if (method.toUpperCase() !== 'POST') return { statusCode: 405, body: { error: 'use POST' } };
  return { route };
}
