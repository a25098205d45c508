import { readFileSync } from 'node:fs';
import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import { parseWebhookAuth, type WebhookAuth } from '../gitlab/webhook-auth.js';

/**
 * The local bridge's GITLAB_WEBHOOK_AUTH: the same document as the GitLab secret in Secrets
 * Manager (lib/gitlab/webhook-auth.ts), given as its JSON text or as the path of a file that
 * holds it, so per-project rules can be tried locally. Errors name the variable (and the file),
 * never a token: a value that is neither JSON nor a readable file may be a token set by mistake.
 */
export function readLocalWebhookAuth(value: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): WebhookAuth {
  const text = value.trim();
  const isJson = text.startsWith('{') || text.startsWith('[');
  let document = text;
  let source: string = ENV.gitlabWebhookAuth;
  if (!isJson) {
    try {
      document = readFile(text);
    } catch {
      throw new ConfigError(`${ENV.gitlabWebhookAuth} is neither JSON (starting with { or [) nor the path of a readable file`);
    }
    source = `${ENV.gitlabWebhookAuth} (file ${text})`;
  }
  let auth: WebhookAuth;
  try {
    auth = parseWebhookAuth(document);
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
  const credentials = [auth, ...auth.projects.values()].some((entry) => entry.tokens.length > 0 || entry.signingKeys.length > 0);
  if (!credentials) throw new ConfigError(`${source} holds no token and no signing key: every webhook would be refused`);
  return auth;
}
