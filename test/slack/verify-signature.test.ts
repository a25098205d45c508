import { describe, expect, it } from 'vitest';
import { parseSigningSecrets, signSlackRequest, verifySlackSignature } from '../../lib/slack/verify-signature.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_700_000_000;
const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');
const signed = (overrides: Partial<{ timestamp: string | undefined; signature: string | undefined; body: Uint8Array }> = {}) => ({
  timestamp: String(NOW),
  signature: signSlackRequest(SECRET, NOW, body),
  body,
  ...overrides,
});

describe('verifySlackSignature', () => {
  it('accepts a request signed with the secret, within 5 minutes', () => {
    expect(verifySlackSignature(signed(), [SECRET], { nowSeconds: NOW + 299 })).toEqual({ ok: true });
  });

  it('accepts the new secret during a rotation (several secrets)', () => {
    expect(verifySlackSignature(signed(), ['old-secret', SECRET], { nowSeconds: NOW })).toEqual({ ok: true });
  });

  it.each([
    ['a wrong signature', signed({ signature: signSlackRequest('another secret', NOW, body) }), 'bad signature'],
    ['a body changed after signing', signed({ body: Buffer.from(`${body.toString()}x`) }), 'bad signature'],
    ['a timestamp changed after signing', signed({ timestamp: String(NOW + 1) }), 'bad signature'],
    ['a signature that is not v0 hex', signed({ signature: 'v1=abc' }), 'bad signature'],
    ['no signature header', signed({ signature: undefined }), 'missing headers'],
    ['no timestamp header', signed({ timestamp: undefined }), 'missing headers'],
    ['a timestamp that is not a number', signed({ timestamp: '12a' }), 'stale timestamp'],
  ])('refuses %s', (_name, request, reason) => {
    expect(verifySlackSignature(request, [SECRET], { nowSeconds: NOW })).toEqual({ ok: false, reason });
  });

  it('refuses a request older than 5 minutes (a replay), even correctly signed', () => {
    expect(verifySlackSignature(signed(), [SECRET], { nowSeconds: NOW + 301 })).toEqual({ ok: false, reason: 'stale timestamp' });
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifySlackSignature(signed(), [], { nowSeconds: NOW })).toEqual({ ok: false, reason: 'no signing secret' });
    expect(verifySlackSignature(signed(), [''], { nowSeconds: NOW })).toEqual({ ok: false, reason: 'no signing secret' });
  });

  it('reads SLACK_SIGNING_SECRET as a comma-separated list', () => {
    expect(parseSigningSecrets(' a, b ,,')).toEqual(['a', 'b']);
    expect(parseSigningSecrets(undefined)).toEqual([]);
  });
});
