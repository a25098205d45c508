import { z } from 'zod';
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
  /** GitLab API token (project/group access token) for the worker's reads, or undefined when not set up. */
  gitlabApiToken(): Promise<string | undefined>;
}

/** Placeholder the stack writes into secrets it creates; treated as "not configured". */
export const PLACEHOLDER_PREFIX = 'REPLACE_ME';

function configured(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && !trimmed.startsWith(PLACEHOLDER_PREFIX) ? trimmed : undefined;
}

/** A secret value that is set and is not the stack's placeholder. */
const ConfiguredSchema = z.string().refine((value) => configured(value) !== undefined);

/** A secret in JSON form: an object (not an array, not a scalar). */
const SecretObjectSchema = z.record(z.string(), z.unknown());

/** The Teams secret's JSON form: webhook name -> URL; entries that are not a set URL are left out. */
const TeamsWebhooksSchema = SecretObjectSchema.transform((entries) => {
  const out: Record<string, string> = {};
  for (const [name, url] of Object.entries(entries)) {
    const usable = typeof url === 'string' ? configured(url) : undefined;
    if (usable) out[name] = usable;
  }
  return out;
});

/** The Jira secret: a bearer token, else an account's email and API token; the first form that is set wins. */
const JiraCredentialsSchema = z.union([
  z.looseObject({ bearerToken: ConfiguredSchema }).transform(({ bearerToken }): JiraCredentials => ({ bearerToken })),
  z.looseObject({ email: z.string(), apiToken: ConfiguredSchema }).transform(({ email, apiToken }): JiraCredentials => ({ email, apiToken })),
]);

/**
 * Parses a secret's JSON object. A parse error would quote part of the secret, so it is
 * replaced by one that names only the secret's role (zod's issues are not used either).
 */
function parseSecretJson(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // the message below must not include the text
  }
  const parsed = SecretObjectSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(`the ${what} secret is not a JSON object; see docs/deploy.md, "Put in the Slack, Teams and Jira credentials", for its format`);
  return parsed.data;
}

/** Parses the Teams secret: a JSON object `{ "name": "https://..." }` or a single URL (named `default`). */
export function parseTeamsSecret(text: string | undefined): Record<string, string> {
  const value = configured(text);
  if (!value) return {};
  if (value.startsWith('{')) {
    return TeamsWebhooksSchema.parse(parseSecretJson(value, 'Teams webhooks'));
  }
  return { default: value };
}

/** Parses the Jira secret: `{ "email": ..., "apiToken": ... }` or `{ "bearerToken": ... }`. */
export function parseJiraSecret(text: string | undefined): JiraCredentials | undefined {
  const value = configured(text);
  if (!value) return undefined;
  // Neither form (a placeholder left in, a field missing) reads as "not configured".
  const parsed = JiraCredentialsSchema.safeParse(parseSecretJson(value, 'Jira credentials'));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Parses the GitLab API token secret: the token as plain text (`glpat-...`), or a JSON object
 * `{ "token": "..." }`. A placeholder, or an object without a set token, reads as "not configured".
 */
export function parseGitLabApiTokenSecret(text: string | undefined): string | undefined {
  const value = configured(text);
  if (!value || !value.startsWith('{')) return usableGitLabToken(value, 'secret');
  const token = parseSecretJson(value, 'GitLab API token').token;
  return typeof token === 'string' ? usableGitLabToken(configured(token), 'secret') : undefined;
}

/**
 * The token goes in a `PRIVATE-TOKEN` header: one line of printable ASCII. Anything else would
 * make fetch throw an error that quotes the header value (`Headers.append: "<token>" is an
 * invalid header value`), which could then reach a notice or a delivery record; so it is
 * refused here, with a message that does not quote it.
 */
function usableGitLabToken(token: string | undefined, where: string): string | undefined {
  if (token === undefined || /^[\x20-\x7e]+$/.test(token)) return token;
  throw new ConfigError(`the GitLab API token (${where}) is not one line of printable ASCII; put in the token alone (glpat-...)`);
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
    gitlabApiToken: async () => usableGitLabToken(configured(env[ENV.gitlabApiToken]), ENV.gitlabApiToken),
  };
}

/** Credentials from Secrets Manager secret ids (the deployed stack). */
export function credentialsFromSecrets(reader: SecretReader, ids: { slack?: string; teams?: string; jira?: string; gitlabApi?: string }): Credentials {
  return {
    slackBotToken: async () => (ids.slack ? configured(await reader.read(ids.slack)) : undefined),
    teamsWebhooks: async () => (ids.teams ? parseTeamsSecret(await reader.read(ids.teams)) : {}),
    jira: async () => (ids.jira ? parseJiraSecret(await reader.read(ids.jira)) : undefined),
    gitlabApiToken: async () => (ids.gitlabApi ? parseGitLabApiTokenSecret(await reader.read(ids.gitlabApi)) : undefined),
  };
}
