import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * GitLab's signing token (GitLab 18.x, `webhook_signing_token` flag) follows the Standard
 * Webhooks scheme: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
 * with a `whsec_<base64 key>` secret. Several space-separated signatures may be sent (GitLab
 * signs with each active key during rotation); any one matching is enough.
 *
 * Implemented over node:crypto rather than through the `standardwebhooks` package because that
 * package fixes the timestamp tolerance at 5 minutes and re-decodes the body as a string; here
 * the tolerance is configurable and the HMAC runs over the raw bytes as received. The tests
 * check interoperability against `standardwebhooks`' own `sign()`.
 */

export interface SignedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Uint8Array;
}

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

const SECRET_PREFIX = 'whsec_';

/** Decodes `whsec_<base64>` (or bare base64) into key bytes; throws on an empty key. */
export function decodeSigningKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new Error('signing key is empty');
  return key;
}

/** True when the request carries any of the Standard Webhooks signature headers. */
export function hasSignatureHeaders(request: SignedRequest): boolean {
  return request.signature !== undefined || request.timestamp !== undefined;
}

export function verifyWebhookSignature(
  request: SignedRequest,
  keys: readonly string[],
  options: { toleranceSeconds: number; nowSeconds: number },
): SignatureCheck {
  if (!request.id || !request.timestamp || !request.signature) {
    return { valid: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  }
  if (!/^\d{1,12}$/.test(request.timestamp)) return { valid: false, reason: 'webhook-timestamp is not a Unix time' };
  const timestamp = Number(request.timestamp);
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) {
    // Replay protection: a captured request cannot be sent again after the tolerance.
    return { valid: false, reason: 'webhook-timestamp outside the allowed tolerance' };
  }
  const signedPrefix = Buffer.from(`${request.id}.${request.timestamp}.`, 'utf8');
  const passed = request.signature
    .split(' ')
    .map((entry) => entry.split(','))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === 'v1')
    .map(([, value]) => Buffer.from(value, 'base64'));
  let matched = false;
  for (const secret of keys) {
    let key: Buffer;
    try {
      key = decodeSigningKey(secret);
    } catch {
      continue;
    }
    const expected = createHmac('sha256', key).update(signedPrefix).update(request.body).digest();
    for (const candidate of passed) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  return matched ? { valid: true } : { valid: false, reason: 'no matching signature' };
}
