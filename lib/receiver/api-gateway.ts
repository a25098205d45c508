import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { handleWebhook, type ReceiverDeps } from './handle-webhook.js';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

/**
 * The receiver as an API Gateway handler (REST API payload v1 or HTTP API payload v2): turns
 * the event into raw bytes and lower-cased headers, runs handleWebhook, shapes the answer.
 */
export function createApiGatewayHandler(deps: ReceiverDeps) {
  return async (event: ApiGatewayEvent): Promise<APIGatewayProxyResult> => {
    const method = isV2(event) ? event.requestContext.http.method : event.httpMethod;
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value ?? undefined;
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    const response = await handleWebhook({ method, headers, body }, deps);
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(response.body),
    };
  };
}
