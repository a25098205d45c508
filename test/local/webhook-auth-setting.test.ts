import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLocalWebhookAuth } from '../../lib/local/webhook-auth-setting.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULES = { tokens: ['global-tok'], projects: { 'Acme/Secure': { id: 42, tokens: ['secure-tok'], requireSignature: true } } };

describe('GITLAB_WEBHOOK_AUTH', () => {
  it('reads the JSON text of the GitLab secret', () => {
    const auth = readLocalWebhookAuth(` ${JSON.stringify(RULES)} `);
    expect(auth.tokens).toEqual(['global-tok']);
    expect(auth.projects.get('acme/secure')).toEqual({ id: 42, tokens: ['secure-tok'], signingKeys: [], requireSignature: true });
  });

  it('reads a JSON array of tokens', () => {
    expect(readLocalWebhookAuth('["a","b"]').tokens).toEqual(['a', 'b']);
  });

  it('reads the path of a JSON file', () => {
    const file = join(dir, 'auth.json');
    writeFileSync(file, JSON.stringify(RULES));
    expect(readLocalWebhookAuth(file).projects.get('acme/secure')?.id).toBe(42);
  });

  it('names the file, never its content, when the file is not valid', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"tokens": ["leaky-secret"');
    expect(() => readLocalWebhookAuth(file)).toThrow(`GITLAB_WEBHOOK_AUTH (file ${file}): GitLab webhook secret looks like JSON but does not parse`);
  });

  it('does not echo a value that is neither JSON nor a readable file (it may be a token set by mistake)', () => {
    expect(() => readLocalWebhookAuth('a-token-by-mistake')).toThrow(
      /^GITLAB_WEBHOOK_AUTH is neither JSON \(starting with \{ or \[\) nor the path of a readable file$/,
    );
  });

  it('refuses rules without any token or signing key (every webhook would be refused)', () => {
    expect(() => readLocalWebhookAuth('{"projects":{"acme/app":{"requireSignature":true}}}')).toThrow(/^GITLAB_WEBHOOK_AUTH holds no token and no signing key/);
  });

  it('reports two spellings of one project as a config error', () => {
    expect(() => readLocalWebhookAuth('{"projects":{"acme/app":{"tokens":["x"]},"ACME/app":{"tokens":["y"]}}}')).toThrow(
      'GITLAB_WEBHOOK_AUTH: GitLab webhook secret: projects "acme/app" and "ACME/app" name the same project (paths are case-insensitive)',
    );
  });
});
