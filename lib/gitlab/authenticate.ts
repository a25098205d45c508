import { normalizeProjectPath } from './project-identity.js';
import { hasSignatureHeaders, verifyWebhookSignature, type SignedRequest } from './verify-signature.js';
import { verifyGitLabToken } from './verify-token.js';
import type { WebhookAuth } from './webhook-auth.js';

/** The project a delivery was authenticated for; the worker holds the payload to it. */
export interface AuthenticatedProject {
  /** Normalised path (normalizeProjectPath). */
  path: string;
  /** Present when the secret's entry for the path records GitLab's project id. */
  id?: number;
}

export type AuthResult = { ok: true; via: 'token' | 'signature'; project?: AuthenticatedProject } | { ok: false; reason: string };

/** The project a payload names, as read from it (before normalisation). */
export interface PayloadProject {
  path: string | null;
  id: number | null;
}

export interface AuthInput {
  /** `X-Gitlab-Token` header. */
  token: string | undefined;
  signed: SignedRequest;
  /**
   * The payload's project, read lazily: reading it means parsing the body, which costs CPU
   * (a 5 MB nested array takes seconds), so it is read only once the request carries a token
   * or signature that some entry of the secret accepts.
   */
  project: () => PayloadProject | null;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/**
 * Decides whether a webhook comes from GitLab. A project listed in the secret (paths compared
 * case-insensitively, as GitLab does) uses its own tokens/keys when it has any (so one
 * project's token cannot post as another), else the global ones. A signature that is present
 * and checkable must be valid; a project (or the whole bridge) that requires signatures does
 * not accept the plain token alone; a project entry with an `id` requires the payload's
 * project id to be that id.
 *
 * Before the payload is read at all, the token or signature must match one of every valid
 * token or key (global and per-project), so a request with none costs a hash, not a parse.
 */
export function authenticateWebhook(input: AuthInput, auth: WebhookAuth, options: { toleranceSeconds: number; nowSeconds: number }): AuthResult {
  const entries = [...auth.projects.values()];
  const allTokens = unique([...auth.tokens, ...entries.flatMap((entry) => entry.tokens)]);
  const allKeys = unique([...auth.signingKeys, ...entries.flatMap((entry) => entry.signingKeys)]);
  if (allTokens.length === 0 && allKeys.length === 0) return { ok: false, reason: 'no webhook token or signing key is configured' };

  // Each key is checked once over the body (an HMAC over up to 5 MiB); the per-project
  // decision below reuses which keys verified.
  const signed = allKeys.length > 0 && hasSignatureHeaders(input.signed);
  const verifiedKeys = new Set<string>();
  let signatureFailure = 'no matching signature';
  if (signed) {
    for (const key of allKeys) {
      const check = verifyWebhookSignature(input.signed, [key], options);
      if (check.valid) verifiedKeys.add(key);
      else signatureFailure = check.reason;
    }
  }
  const tokenFailure = input.token ? 'X-Gitlab-Token does not match' : 'missing X-Gitlab-Token';
  if (verifiedKeys.size === 0 && !verifyGitLabToken(input.token, allTokens)) {
    return { ok: false, reason: signed ? `invalid signature: ${signatureFailure}` : tokenFailure };
  }

  const payloadProject = input.project();
  const path = payloadProject?.path ? normalizeProjectPath(payloadProject.path) : null;
  const entry = path !== null ? auth.projects.get(path) : undefined;
  // A project with any credential of its own (a token or a signing key) takes none of the
  // global ones, of either kind: falling back per kind would let the global signing key open a
  // project that has only its own token. An entry with neither (say, only requireSignature)
  // keeps the global credentials.
  const own = entry !== undefined && (entry.tokens.length > 0 || entry.signingKeys.length > 0);
  const tokens = own ? entry.tokens : auth.tokens;
  const keys = own ? entry.signingKeys : auth.signingKeys;
  const requireSignature = auth.requireSignature || entry?.requireSignature === true;
  if (tokens.length === 0 && keys.length === 0) return { ok: false, reason: 'no webhook token or signing key is configured for this project' };

  let signatureValid = false;
  if (keys.length > 0 && hasSignatureHeaders(input.signed)) {
    if (!keys.some((key) => verifiedKeys.has(key))) return { ok: false, reason: `invalid signature: ${signatureFailure}` };
    signatureValid = true;
  }
  let via: 'token' | 'signature';
  if (requireSignature) {
    if (!signatureValid) return { ok: false, reason: 'a valid webhook-signature is required' };
    via = 'signature';
  } else if (verifyGitLabToken(input.token, tokens)) {
    via = 'token';
  } else if (signatureValid) {
    via = 'signature';
  } else {
    return { ok: false, reason: tokenFailure };
  }
  if (entry?.id !== undefined && payloadProject?.id !== entry.id) {
    return { ok: false, reason: 'project id does not match the id recorded for its path' };
  }
  if (path === null) return { ok: true, via };
  return { ok: true, via, project: entry?.id !== undefined ? { path, id: entry.id } : { path } };
}
