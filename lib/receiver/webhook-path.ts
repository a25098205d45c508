/**
 * The webhook route, in API Gateway (cdk/) and in the local bridge alike. Its own file, so
 * that cdk/ and the CLI can import it without loading the receiver.
 */
export const WEBHOOK_PATH = '/webhooks/gitlab';
/** Slack's interactivity Request URL (button clicks), on the same API as the webhook route. */
export const SLACK_INTERACTIONS_PATH = '/slack/interactions';
