/**
 * Names the local bridge (`npm start`, lib/local/) creates on its local DynamoDB and SQS.
 * When AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS point at loopback and no table or queue
 * is given, the CLI uses these, so `gitlab-bridge deliveries list` works against the local
 * bridge with nothing but the two variables it prints.
 */
export const LOCAL_TABLE_NAME = 'gitlab-bridge';
export const LOCAL_QUEUE_NAME = 'gitlab-bridge-deliveries';
export const LOCAL_DLQ_NAME = `${LOCAL_QUEUE_NAME}-dlq`;
/** Where the local bridge listens for webhooks (lib/local, PORT defaults to 3000). */
export const LOCAL_WEBHOOK_URL = 'http://127.0.0.1:3000/webhooks/gitlab';
/**
 * dynalite and local-aws-sqs accept any credentials, but the SDK insists on some; these are
 * used only for loopback endpoints when the environment names no credentials of its own.
 */
export const LOCAL_AWS_REGION = 'us-east-1';
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The CDK stack's default name and the output keys the CLI reads (cdk/ defines them). */
export const DEFAULT_STACK_NAME = 'GitLabBridge';
export const STACK_OUTPUTS = {
  tableName: 'TableName',
  queueUrl: 'QueueUrl',
  dlqUrl: 'DeadLetterQueueUrl',
  webhookUrl: 'WebhookUrl',
  gitlabSecretName: 'GitLabSecretName',
} as const;

/** True for http(s) URLs on 127.0.0.0/8, ::1 or localhost: a local server, not AWS. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
