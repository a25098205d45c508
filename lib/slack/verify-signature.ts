import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's request signing ("Verifying requests from Slack", api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}">` with the
 * app's signing secret. Slack asks to refuse timestamps more than 5 minutes from now (replays).
 */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 300;

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: 'missing headers' | 'stale timestamp' | 'bad signature' | 'no signing secret' };

/**
 * Checks a request's Slack signature against every secret given (two during a rotation), in
 * constant time. Runs on the raw bytes before anything parses them.
 */
export function verifySlackSignature(
  request: { timestamp: string | undefined; signature: string | undefined; body: Uint8Array },
  secrets: readonly string[],
  options: { nowSeconds: number; toleranceSeconds?: number },
): SlackSignatureCheck {
  const usable = secrets.filter((secret) => secret.length > 0);
  if (usable.length === 0) return { ok: false, reason: 'no signing secret' };
  const { timestamp, signature } = request;
  if (!timestamp || !signature) return { ok: false, reason: 'missing headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale timestamp' };
  const tolerance = options.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(options.nowSeconds - Number(timestamp)) > tolerance) return { ok: false, reason: 'stale timestamp' };
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'bad signature' };
  const received = Buffer.from(signature.slice(3), 'hex');
  let matched = false;
  // Every secret is tried (no early exit): the time taken does not say which one matched.
  for (const secret of usable) {
    const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(request.body).digest();
    if (timingSafeEqual(expected, received)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'bad signature' };
}

/** The signature Slack would send: for tests and the CLI's samples. */
export function signSlackRequest(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

/**
 * SLACK_SIGNING_SECRET or its secret's value: one secret, or several separated by commas (the
 * old and the new during a rotation). The stack's placeholder (`REPLACE_ME: ...`) is none.
 */
export function parseSigningSecrets(value: string | undefined): string[] {
  if (value?.trimStart().startsWith('REPLACE_ME')) return [];
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}
