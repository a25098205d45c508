import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { authenticateWebhook, type AuthInput } from '../../lib/gitlab/authenticate.js';
import { parseWebhookAuth, webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';

const KEY = `whsec_${randomBytes(32).toString('base64')}`;
const NOW = 1_764_064_800;
const BODY = Buffer.from('{"object_kind":"push"}');
const options = { toleranceSeconds: 300, nowSeconds: NOW };

function input(token: string | undefined, signed: boolean, project = 'acme/app', badSignature = false): AuthInput {
  const signature = signed ? new Webhook(KEY).sign('id-1', new Date(NOW * 1000), BODY.toString()) : undefined;
  return {
    token,
    signed: { id: signed ? 'id-1' : undefined, timestamp: signed ? String(NOW) : undefined, signature: badSignature ? 'v1,AAAA' : signature, body: BODY },
    projectPath: () => project,
  };
}

describe('parseWebhookAuth', () => {
  it('reads a plain token', () => {
    expect(parseWebhookAuth('  tok  ')).toEqual({ tokens: ['tok'], signingKeys: [], requireSignature: false, projects: {} });
  });
  it('reads a JSON array of tokens', () => {
    expect(parseWebhookAuth('["a","b"]').tokens).toEqual(['a', 'b']);
  });
  it('reads the full object with per-project entries', () => {
    const auth = parseWebhookAuth(JSON.stringify({ tokens: ['g'], signingKeys: [KEY], projects: { 'acme/app': { tokens: ['p'], requireSignature: true } } }));
    expect(auth).toEqual({
      tokens: ['g'],
      signingKeys: [KEY],
      requireSignature: false,
      projects: { 'acme/app': { tokens: ['p'], signingKeys: [], requireSignature: true } },
    });
  });
  it('does not echo the secret when its JSON is broken', () => {
    expect(() => parseWebhookAuth('{"tokens": ["super-secret"')).toThrow(/^GitLab webhook secret looks like JSON but does not parse$/);
  });
  it('splits comma-separated environment values', () => {
    expect(webhookAuthFromEnv('a, b,,c', undefined).tokens).toEqual(['a', 'b', 'c']);
  });
});

describe('authenticateWebhook', () => {
  const tokenOnly = parseWebhookAuth('["tok"]');
  const withKey = parseWebhookAuth(JSON.stringify({ tokens: ['tok'], signingKeys: [KEY] }));

  it('accepts the token', () => {
    expect(authenticateWebhook(input('tok', false), tokenOnly, options)).toEqual({ ok: true, via: 'token' });
  });
  it('accepts a valid signature without a token', () => {
    expect(authenticateWebhook(input(undefined, true), withKey, options)).toEqual({ ok: true, via: 'signature' });
  });
  it('rejects an invalid signature even with a valid token', () => {
    expect(authenticateWebhook(input('tok', true, 'acme/app', true), withKey, options).ok).toBe(false);
  });
  it('ignores signature headers when no signing key is configured', () => {
    expect(authenticateWebhook(input('tok', true, 'acme/app', true), tokenOnly, options).ok).toBe(true);
  });

  const perProject = parseWebhookAuth(
    JSON.stringify({ tokens: ['global'], signingKeys: [KEY], projects: { 'acme/secure': { requireSignature: true }, 'acme/own': { tokens: ['own'] } } }),
  );
  it('a project that requires the signature refuses the plain token alone', () => {
    expect(authenticateWebhook(input('global', false, 'acme/secure'), perProject, options)).toEqual({
      ok: false,
      reason: 'a valid webhook-signature is required',
    });
    expect(authenticateWebhook(input('global', true, 'acme/secure'), perProject, options).ok).toBe(true);
  });
  it('other projects still accept the plain token', () => {
    expect(authenticateWebhook(input('global', false, 'acme/other'), perProject, options).ok).toBe(true);
  });
  it('a project with its own token accepts only that token', () => {
    expect(authenticateWebhook(input('own', false, 'acme/own'), perProject, options).ok).toBe(true);
    expect(authenticateWebhook(input('global', false, 'acme/own'), perProject, options).ok).toBe(false);
    expect(authenticateWebhook(input('own', false, 'acme/other'), perProject, options).ok).toBe(false);
  });
});
