import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../lib/gitlab/verify-signature.js';

const KEY = `whsec_${randomBytes(32).toString('base64')}`;
const OTHER_KEY = `whsec_${randomBytes(32).toString('base64')}`;
const NOW = 1_764_064_800;
const BODY = Buffer.from('{"object_kind":"push","message":"caf\u00e9 \u2713"}', 'utf8');
const ID = '0b1e7c9a-5d3f-4c2e-9a8b-1f2e3d4c5b6a';

/** Signs with the reference implementation, as GitLab would. */
function sign(key: string, id = ID, timestamp = NOW, body: Buffer = BODY): string {
  return new Webhook(key).sign(id, new Date(timestamp * 1000), body.toString('utf8'));
}

const options = { toleranceSeconds: 300, nowSeconds: NOW };

describe('verifyWebhookSignature (Standard Webhooks, as GitLab signs)', () => {
  it('accepts a signature made by the standardwebhooks reference', () => {
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: sign(KEY), body: BODY }, [KEY], options)).toEqual({ valid: true });
  });

  it('accepts any of several signatures in the header', () => {
    const header = `v1,${Buffer.alloc(32).toString('base64')} ${sign(KEY)}`;
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: header, body: BODY }, [KEY], options).valid).toBe(true);
  });

  it('accepts a signature made with any of several keys (rotation)', () => {
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: sign(OTHER_KEY), body: BODY }, [KEY, OTHER_KEY], options).valid).toBe(true);
  });

  it('rejects a signature made with another key', () => {
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: sign(OTHER_KEY), body: BODY }, [KEY], options)).toEqual({
      valid: false,
      reason: 'no matching signature',
    });
  });

  it('rejects a body changed by one byte', () => {
    const changed = Buffer.from(BODY);
    changed[2] = changed[2] === 0x61 ? 0x62 : 0x61;
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: sign(KEY), body: changed }, [KEY], options).valid).toBe(false);
  });

  it('verifies over the raw bytes, not a re-serialisation', () => {
    const spaced = Buffer.from('{ "object_kind" : "push" }', 'utf8');
    const signature = sign(KEY, ID, NOW, spaced);
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature, body: spaced }, [KEY], options).valid).toBe(true);
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature, body: Buffer.from('{"object_kind":"push"}') }, [KEY], options).valid).toBe(
      false,
    );
  });

  it('rejects a different webhook-id (the id is signed)', () => {
    expect(verifyWebhookSignature({ id: 'another-id', timestamp: String(NOW), signature: sign(KEY), body: BODY }, [KEY], options).valid).toBe(false);
  });

  it.each([
    ['too old', NOW - 301],
    ['too new', NOW + 301],
  ])('rejects a timestamp %s (replay protection)', (_name, timestamp) => {
    const result = verifyWebhookSignature({ id: ID, timestamp: String(timestamp), signature: sign(KEY, ID, timestamp), body: BODY }, [KEY], options);
    expect(result).toEqual({ valid: false, reason: 'webhook-timestamp outside the allowed tolerance' });
  });

  it('honours a configured tolerance', () => {
    const timestamp = NOW - 600;
    const request = { id: ID, timestamp: String(timestamp), signature: sign(KEY, ID, timestamp), body: BODY };
    expect(verifyWebhookSignature(request, [KEY], { toleranceSeconds: 900, nowSeconds: NOW }).valid).toBe(true);
    expect(verifyWebhookSignature(request, [KEY], options).valid).toBe(false);
  });

  it.each([
    ['no signature', { id: ID, timestamp: String(NOW), signature: undefined }],
    ['no timestamp', { id: ID, timestamp: undefined, signature: 'v1,abc' }],
    ['no id', { id: undefined, timestamp: String(NOW), signature: 'v1,abc' }],
    ['a non-numeric timestamp', { id: ID, timestamp: 'yesterday', signature: 'v1,abc' }],
    ['an unknown signature version', { id: ID, timestamp: String(NOW), signature: 'v2,abc' }],
  ])('rejects %s', (_name, headers) => {
    expect(verifyWebhookSignature({ ...headers, body: BODY }, [KEY], options).valid).toBe(false);
  });

  it('skips a malformed configured key instead of throwing', () => {
    expect(verifyWebhookSignature({ id: ID, timestamp: String(NOW), signature: sign(KEY), body: BODY }, ['whsec_', KEY], options).valid).toBe(true);
  });
});
