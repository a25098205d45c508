import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { authenticateWebhook, type AuthInput } from '../../lib/gitlab/authenticate.js';
import { parseWebhookAuth, webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';

const KEY = `whsec_${randomBytes(32).toString('base64')}`;
const NOW = 1_764_064_800;
const BODY = Buffer.from('{"object_kind":"push"}');
const options = { toleranceSeconds: 300, nowSeconds: NOW };

function input(token: string | undefined, signed: boolean, project = 'acme/app', badSignature = false, projectId: number | null = 7, key = KEY): AuthInput {
  const signature = signed ? new Webhook(key).sign('id-1', new Date(NOW * 1000), BODY.toString()) : undefined;
  return {
    token,
    signed: { id: signed ? 'id-1' : undefined, timestamp: signed ? String(NOW) : undefined, signature: badSignature ? 'v1,AAAA' : signature, body: BODY },
    project: () => ({ path: project, id: projectId }),
  };
}

describe('parseWebhookAuth', () => {
  it('reads a plain token', () => {
    expect(parseWebhookAuth('  tok  ')).toEqual({ tokens: ['tok'], signingKeys: [], requireSignature: false, projects: new Map() });
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
      projects: new Map([['acme/app', { tokens: ['p'], signingKeys: [], requireSignature: true }]]),
    });
  });
  it('normalises project paths (GitLab paths are case-insensitive) and reads a project id', () => {
    const auth = parseWebhookAuth(JSON.stringify({ projects: { ' ACME/Secure ': { id: 42, tokens: ['p'] } } }));
    expect([...auth.projects.entries()]).toEqual([['acme/secure', { id: 42, tokens: ['p'], signingKeys: [], requireSignature: false }]]);
  });
  it('refuses two entries for one project, naming the path and never a token', () => {
    const secret = JSON.stringify({ projects: { 'acme/app': { tokens: ['first-secret'] }, 'Acme/App': { tokens: ['second-secret'] } } });
    expect(() => parseWebhookAuth(secret)).toThrow(
      /^GitLab webhook secret: projects "acme\/app" and "Acme\/App" name the same project \(paths are case-insensitive\)$/,
    );
  });
  it.each([['"42"'], ['0'], ['1.5'], ['-3']])('refuses a project id that is not a positive integer: %s', (id) => {
    expect(() => parseWebhookAuth(`{"projects":{"acme/app":{"id":${id},"tokens":["t"]}}}`)).toThrow(
      /^GitLab webhook secret: projects\["acme\/app"\]\.id must be GitLab's numeric project id$/,
    );
  });
  it.each([['__proto__'], ['constructor'], ['toString']])('keeps a project named %s as plain data', (path) => {
    const auth = parseWebhookAuth(`{"projects":{"${path}":{"tokens":["t"]}}}`);
    expect(auth.projects.get(path.toLowerCase())?.tokens).toEqual(['t']);
    expect(auth.projects.size).toBe(1);
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
    expect(authenticateWebhook(input('tok', false), tokenOnly, options)).toEqual({ ok: true, via: 'token', project: { path: 'acme/app' } });
  });
  it('accepts a valid signature without a token', () => {
    expect(authenticateWebhook(input(undefined, true), withKey, options)).toEqual({ ok: true, via: 'signature', project: { path: 'acme/app' } });
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
  it('a project with credentials of its own takes none of the global ones, of either kind', () => {
    // acme/own has its own token only: the global signing key does not open it either.
    expect(authenticateWebhook(input(undefined, true, 'acme/own'), perProject, options).ok).toBe(false);
    expect(authenticateWebhook(input('own', true, 'acme/own'), perProject, options).ok).toBe(true);
    // A project with its own signing key only: the global token does not open it.
    const ownKey = `whsec_${randomBytes(32).toString('base64')}`;
    const keyed = parseWebhookAuth(JSON.stringify({ tokens: ['global'], projects: { 'acme/keyed': { signingKeys: [ownKey] } } }));
    expect(authenticateWebhook(input('global', false, 'acme/keyed'), keyed, options).ok).toBe(false);
    expect(authenticateWebhook(input(undefined, true, 'acme/keyed', false, 7, ownKey), keyed, options).ok).toBe(true);
  });
  it('matches a project entry whatever the case of the payload path', () => {
    for (const path of ['ACME/Secure', 'Acme/secure', ' acme/secure']) {
      expect(authenticateWebhook(input('global', false, path), perProject, options)).toEqual({ ok: false, reason: 'a valid webhook-signature is required' });
    }
    expect(authenticateWebhook(input('global', false, 'ACME/OWN'), perProject, options).ok).toBe(false);
    expect(authenticateWebhook(input('own', false, 'ACME/OWN'), perProject, options).ok).toBe(true);
  });
  it.each([['__proto__'], ['constructor'], ['hasOwnProperty']])('answers a payload from project %s without throwing', (path) => {
    expect(authenticateWebhook(input('wrong', false, path), perProject, options)).toEqual({ ok: false, reason: 'X-Gitlab-Token does not match' });
    expect(authenticateWebhook(input(undefined, false, path), perProject, options)).toEqual({ ok: false, reason: 'missing X-Gitlab-Token' });
  });

  it('reports the authenticated project: the normalised path, and the id the secret records', () => {
    const withId = parseWebhookAuth(JSON.stringify({ tokens: ['global'], projects: { 'Acme/Own': { id: 42, tokens: ['own'] } } }));
    expect(authenticateWebhook(input('own', false, 'ACME/own', false, 42), withId, options)).toEqual({
      ok: true,
      via: 'token',
      project: { path: 'acme/own', id: 42 },
    });
    expect(authenticateWebhook(input('global', false, 'Acme/Other', false, 9), withId, options)).toEqual({
      ok: true,
      via: 'token',
      project: { path: 'acme/other' },
    });
  });
  it('refuses a payload whose project id is not the one the secret records for its path', () => {
    const withId = parseWebhookAuth(JSON.stringify({ projects: { 'acme/own': { id: 42, tokens: ['own'] } } }));
    expect(authenticateWebhook(input('own', false, 'acme/own', false, 43), withId, options)).toEqual({
      ok: false,
      reason: 'project id does not match the id recorded for its path',
    });
    expect(authenticateWebhook(input('own', false, 'acme/own', false, null), withId, options).ok).toBe(false);
  });

  describe('before reading the payload', () => {
    const projectKey = `whsec_${randomBytes(32).toString('base64')}`;
    const config = parseWebhookAuth(JSON.stringify({ tokens: ['global'], projects: { 'acme/own': { tokens: ['own'], signingKeys: [projectKey] } } }));
    function counting(base: AuthInput): AuthInput & { reads: () => number } {
      let reads = 0;
      return {
        ...base,
        project: () => {
          reads++;
          return base.project();
        },
        reads: () => reads,
      };
    }

    it('refuses a token that no entry knows without reading the project', () => {
      const request = counting(input('nobody-has-this', false, 'acme/own'));
      expect(authenticateWebhook(request, config, options)).toEqual({ ok: false, reason: 'X-Gitlab-Token does not match' });
      expect(request.reads()).toBe(0);
    });
    it('refuses a missing token without reading the project', () => {
      const request = counting(input(undefined, false, 'acme/own'));
      expect(authenticateWebhook(request, config, options).ok).toBe(false);
      expect(request.reads()).toBe(0);
    });
    it('refuses a signature no key verifies without reading the project', () => {
      const request = counting(input(undefined, true, 'acme/own', true));
      expect(authenticateWebhook(request, config, options).ok).toBe(false);
      expect(request.reads()).toBe(0);
    });
    it("reads the project once a token or key of some entry matched, then applies that project's rule", () => {
      const request = counting(input('own', false, 'acme/own'));
      expect(authenticateWebhook(request, config, options).ok).toBe(true);
      expect(request.reads()).toBe(1);
      expect(authenticateWebhook(input(undefined, true, 'acme/own', false, 7, projectKey), config, options).ok).toBe(true);
      expect(authenticateWebhook(input(undefined, true, 'acme/other', false, 7, projectKey), config, options).ok).toBe(false);
    });
  });
});
