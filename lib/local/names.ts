/**
 * Names the local bridge (`npm start`) creates on its local DynamoDB and SQS. The CLI defaults
 * to them when AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS point at loopback.
 */
export const LOCAL_TABLE_NAME = 'gitlab-bridge';
export const LOCAL_QUEUE_NAME = 'gitlab-bridge-deliveries';
/** lib/local/sqs-server.ts names the dead-letter queue after the queue. */
export const LOCAL_DLQ_NAME = `${LOCAL_QUEUE_NAME}-dlq`;
/** Where the local bridge listens for webhooks (PORT defaults to 3000). */
export const LOCAL_WEBHOOK_URL = 'http://127.0.0.1:3000/webhooks/gitlab';

/** Local credentials: dynalite and local-aws-sqs accept any; the SDK insists on some. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;
