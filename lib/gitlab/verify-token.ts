import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * True when `received` (the `X-Gitlab-Token` header) equals one of `validTokens`.
 *
 * Constant time: both sides are hashed to equal-length digests before `timingSafeEqual`, and
 * every valid token is compared (no early exit), so neither the token's length nor which of
 * several rotated tokens matched shows in the timing.
 */
export function verifyGitLabToken(received: string | undefined, validTokens: readonly string[]): boolean {
  if (received === undefined || received === '') return false;
  const receivedDigest = digest(received);
  let matched = false;
  for (const token of validTokens) {
    if (token === '') continue;
    if (timingSafeEqual(receivedDigest, digest(token))) matched = true;
  }
  return matched;
}
