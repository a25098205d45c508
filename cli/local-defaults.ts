/**
 * When AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS point at loopback and no table or queue
 * is given, the CLI uses the local bridge's names, so `gitlab-bridge deliveries list` works
 * against `npm start` with nothing but the two variables it prints.
 */
import { LOCAL_AWS } from '../lib/local/names.js';

export { LOCAL_DLQ_NAME, LOCAL_QUEUE_NAME, LOCAL_TABLE_NAME, LOCAL_WEBHOOK_URL } from '../lib/local/names.js';

/**
 * dynalite and local-aws-sqs accept any credentials, but the SDK insists on some; these are
 * used only for loopback endpoints when the environment names no credentials of its own.
 */
export const LOCAL_AWS_REGION = LOCAL_AWS.region;
export const LOCAL_AWS_CREDENTIALS = LOCAL_AWS.credentials;

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
