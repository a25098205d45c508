/**
 * When AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS point at loopback and no table or queue
 * is given, the CLI uses the local bridge's names and credentials (lib/local/names.ts), so
 * `gitlab-bridge deliveries list` works against `npm start` with nothing but the two variables
 * it prints.
 */
import { isLoopbackHostname } from '../lib/config/https.js';

/** True for http(s) URLs on 127.0.0.0/8, ::1 or localhost: a local server, not AWS. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return isLoopbackHostname(host);
}
