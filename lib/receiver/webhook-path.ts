/**
 * The webhook route, in API Gateway (cdk/) and in the local bridge alike. Its own file, so
 * that cdk/ and the CLI can import it without loading the receiver.
 */
export const WEBHOOK_PATH = '/webhooks/gitlab';
/** Slack's interactivity Request URL (button clicks), on the same API as the webhook route. */
export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

/**
 * What carries webhooks to the receiver in AWS (`-c endpoint=...`, docs/deploy.md): an API Gateway
 * HTTP API whose routes pass only the two paths above, or a Lambda function URL that passes every
 * path, so the receiver routes them itself (lib/receiver/routes.ts).
 */
export const WEBHOOK_ENDPOINTS = ['api', 'functionUrl'] as const;
export type WebhookEndpoint = (typeof WEBHOOK_ENDPOINTS)[number];
