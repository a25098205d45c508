/**
 * Which credentials a webhook must present. Read from the GitLab secret (Secrets Manager in
 * AWS, GITLAB_WEBHOOK_TOKEN / GITLAB_SIGNING_KEY locally). The secret string may be:
 * - a plain token: `s3cret`
 * - a JSON array of tokens (rotation: old and new both valid): `["old", "new"]`
 * - a JSON object:
 *   `{ "tokens": [...], "signingKeys": ["whsec_..."], "requireSignature": false,
 *      "projects": { "acme/app": { "tokens": [...], "signingKeys": [...], "requireSignature": true } } }`
 * A project entry adds tokens and keys valid for that project only; `requireSignature` makes
 * the plain token alone insufficient for it.
 */
export interface ProjectAuth {
  tokens: string[];
  signingKeys: string[];
  requireSignature: boolean;
}

export interface WebhookAuth extends ProjectAuth {
  projects: Record<string, ProjectAuth>;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

function projectAuth(value: Record<string, unknown>): ProjectAuth {
  return { tokens: strings(value.tokens), signingKeys: strings(value.signingKeys), requireSignature: value.requireSignature === true };
}

/** Parses the GitLab secret's string value. Never includes the secret in an error message. */
export function parseWebhookAuth(secret: string): WebhookAuth {
  const text = secret.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('GitLab webhook secret looks like JSON but does not parse');
    }
    if (Array.isArray(parsed)) return { tokens: strings(parsed), signingKeys: [], requireSignature: false, projects: {} };
    const object = parsed as Record<string, unknown>;
    const projects: Record<string, ProjectAuth> = {};
    const rawProjects = object.projects;
    if (typeof rawProjects === 'object' && rawProjects !== null) {
      for (const [path, value] of Object.entries(rawProjects)) {
        if (typeof value === 'object' && value !== null) projects[path] = projectAuth(value as Record<string, unknown>);
      }
    }
    return { ...projectAuth(object), projects };
  }
  return { tokens: strings(text), signingKeys: [], requireSignature: false, projects: {} };
}

/** Auth from local environment variables: comma-separated tokens and signing keys. */
export function webhookAuthFromEnv(tokens: string | undefined, signingKeys: string | undefined): WebhookAuth {
  const split = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  return { tokens: split(tokens), signingKeys: split(signingKeys), requireSignature: false, projects: {} };
}
