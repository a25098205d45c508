import { splitCommaList } from '../config/comma-list.js';
import { ConfigError } from '../errors.js';
import { normalizeProjectPath } from './project-identity.js';

/**
 * Which credentials a webhook must present. Read from the GitLab secret (Secrets Manager in
 * AWS; GITLAB_WEBHOOK_AUTH, or GITLAB_WEBHOOK_TOKEN / GITLAB_SIGNING_KEY, locally). The secret
 * string may be:
 * - a plain token: `s3cret`
 * - a JSON array of tokens (rotation: old and new both valid): `["old", "new"]`
 * - a JSON object:
 *   `{ "tokens": [...], "signingKeys": ["whsec_..."], "requireSignature": false,
 *      "projects": { "acme/app": { "id": 42, "tokens": [...], "signingKeys": [...], "requireSignature": true } } }`
 * A project entry with a token or key of its own accepts only its own (none of the global ones,
 * of either kind); tokens and keys in it are valid for that project only; `requireSignature` makes
 * the plain token alone insufficient for it; `id` (GitLab's numeric project id) makes the
 * payload's project id part of the check.
 */
export interface Credentials {
  tokens: string[];
  signingKeys: string[];
  requireSignature: boolean;
}

export interface ProjectAuth extends Credentials {
  /** GitLab's project id; when set, a payload naming this path must carry this id too. */
  id?: number;
}

export interface WebhookAuth extends Credentials {
  /**
   * Keyed by normalised path (normalizeProjectPath). A Map, not an object: a payload path
   * such as `__proto__` or `constructor` must find nothing rather than Object's prototype.
   */
  projects: ReadonlyMap<string, ProjectAuth>;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

function credentials(value: Record<string, unknown>): Credentials {
  return { tokens: strings(value.tokens), signingKeys: strings(value.signingKeys), requireSignature: value.requireSignature === true };
}

function projectAuth(path: string, value: Record<string, unknown>): ProjectAuth {
  const entry: ProjectAuth = credentials(value);
  if (value.id !== undefined) {
    if (typeof value.id !== 'number' || !Number.isSafeInteger(value.id) || value.id <= 0) {
      throw new ConfigError(`GitLab webhook secret: projects[${JSON.stringify(path)}].id must be GitLab's numeric project id`);
    }
    entry.id = value.id;
  }
  return entry;
}

function projectEntries(raw: unknown): Map<string, ProjectAuth> {
  const projects = new Map<string, ProjectAuth>();
  const spelledAs = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null) return projects;
  for (const [path, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null) continue;
    const key = normalizeProjectPath(path);
    const earlier = spelledAs.get(key);
    if (earlier !== undefined) {
      // Two spellings of one project would leave which rule applies to the key order.
      throw new ConfigError(
        `GitLab webhook secret: projects ${JSON.stringify(earlier)} and ${JSON.stringify(path)} name the same project (paths are case-insensitive)`,
      );
    }
    spelledAs.set(key, path);
    projects.set(key, projectAuth(path, value as Record<string, unknown>));
  }
  return projects;
}

/**
 * Parses the GitLab secret's string value. Never includes a token or key in an error message
 * (a project path may appear: it is not secret). Throws ConfigError for a secret that cannot
 * be read as intended.
 */
export function parseWebhookAuth(secret: string): WebhookAuth {
  const text = secret.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError('GitLab webhook secret looks like JSON but does not parse');
    }
    if (Array.isArray(parsed)) return { tokens: strings(parsed), signingKeys: [], requireSignature: false, projects: new Map() };
    const object = parsed as Record<string, unknown>;
    return { ...credentials(object), projects: projectEntries(object.projects) };
  }
  return { tokens: strings(text), signingKeys: [], requireSignature: false, projects: new Map() };
}

/** Auth from local environment variables: comma-separated tokens and signing keys. */
export function webhookAuthFromEnv(tokens: string | undefined, signingKeys: string | undefined): WebhookAuth {
  return { tokens: splitCommaList(tokens), signingKeys: splitCommaList(signingKeys), requireSignature: false, projects: new Map() };
}
