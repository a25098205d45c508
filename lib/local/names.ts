import { WEBHOOK_PATH } from '../receiver/webhook-path.js';

/**
 * Names the local bridge (`npm start`) creates on its local DynamoDB and SQS. The CLI defaults
 * to them when AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS point at loopback.
 */
export const LOCAL_TABLE_NAME = 'gitlab-bridge';
export const LOCAL_QUEUE_NAME = 'gitlab-bridge-deliveries';
/** lib/local/sqs-server.ts names the dead-letter queue after the queue. */
export const LOCAL_DLQ_NAME = `${LOCAL_QUEUE_NAME}-dlq`;
/** The local bridge's HTTP port when PORT is not set; DynamoDB and SQS take the next two. */
export const LOCAL_PORT = 3000;
/** Where the local bridge listens for webhooks when PORT is not set. */
export const LOCAL_WEBHOOK_URL = `http://127.0.0.1:${LOCAL_PORT}${WEBHOOK_PATH}`;

/** Local credentials: dynalite and local-aws-sqs accept any; the SDK insists on some. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;
