import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import type { SecretReader } from './secret-reader.js';

export type JiraCredentials = { email: string; apiToken: string } | { bearerToken: string };

/**
 * The downstream credentials the worker needs, read when first used (never at import, never
 * logged). In AWS they come from Secrets Manager; locally from environment variables.
 */
export interface Credentials {
  /** Slack bot token (`xoxb-...`), or undefined when Slack is not set up. */
  slackBotToken(): Promise<string | undefined>;
  /** Teams Workflows webhook URLs by name; a route names the webhook it posts to. */
  teamsWebhooks(): Promise<Record<string, string>>;
  jira(): Promise<JiraCredentials | undefined>;
}

/** Placeholder the stack writes into secrets it creates; treated as "not configured". */
export const PLACEHOLDER_PREFIX = 'REPLACE_ME';

/**
 * Parses a secret's JSON. A parse error would quote part of the secret, so it is replaced by one
 * that names only the secret's role.
 */
function parseSecretJson(text: string, what: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: the message below must not include the text
  }
  throw new ConfigError(`the ${what} secret is not a JSON object; see the README for its format`);
}

function configured(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && !trimmed.startsWith(PLACEHOLDER_PREFIX) ? trimmed : undefined;
}

/** Parses the Teams secret: a JSON object `{ "name": "https://..." }` or a single URL (named `default`). */
export function parseTeamsSecret(text: string | undefined): Record<string, string> {
  const value = configured(text);
  if (!value) return {};
  if (value.startsWith('{')) {
    const parsed = parseSecretJson(value, 'Teams webhooks');
    const out: Record<string, string> = {};
    for (const [name, url] of Object.entries(parsed)) {
      const usable = typeof url === 'string' ? configured(url) : undefined;
      if (usable) out[name] = usable;
    }
    return out;
  }
  return { default: value };
}

/** Parses the Jira secret: `{ "email": ..., "apiToken": ... }` or `{ "bearerToken": ... }`. */
export function parseJiraSecret(text: string | undefined): JiraCredentials | undefined {
  const value = configured(text);
  if (!value) return undefined;
  const parsed = parseSecretJson(value, 'Jira credentials');
  if (typeof parsed.bearerToken === 'string' && configured(parsed.bearerToken)) return { bearerToken: parsed.bearerToken };
  if (typeof parsed.email === 'string' && typeof parsed.apiToken === 'string' && configured(parsed.apiToken)) {
    return { email: parsed.email, apiToken: parsed.apiToken };
  }
  return undefined;
}

/** Credentials from environment variables (local bridge, zero-config start). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  return {
    slackBotToken: async () => configured(env[ENV.slackBotToken]),
    teamsWebhooks: async () => parseTeamsSecret(env[ENV.teamsWebhookUrl]),
    jira: async () => {
      const bearer = configured(env[ENV.jiraBearerToken]);
      if (bearer) return { bearerToken: bearer };
      const email = configured(env[ENV.jiraEmail]);
      const apiToken = configured(env[ENV.jiraApiToken]);
      return email && apiToken ? { email, apiToken } : undefined;
    },
  };
}

/** Credentials from Secrets Manager secret ids (the deployed stack). */
export function credentialsFromSecrets(reader: SecretReader, ids: { slack?: string; teams?: string; jira?: string }): Credentials {
  return {
    slackBotToken: async () => (ids.slack ? configured(await reader.read(ids.slack)) : undefined),
    teamsWebhooks: async () => (ids.teams ? parseTeamsSecret(await reader.read(ids.teams)) : {}),
    jira: async () => (ids.jira ? parseJiraSecret(await reader.read(ids.jira)) : undefined),
  };
}
