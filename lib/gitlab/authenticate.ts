import { hasSignatureHeaders, verifyWebhookSignature, type SignedRequest } from './verify-signature.js';
import { verifyGitLabToken } from './verify-token.js';
import type { WebhookAuth } from './webhook-auth.js';

export type AuthResult = { ok: true; via: 'token' | 'signature' } | { ok: false; reason: string };

export interface AuthInput {
  /** `X-Gitlab-Token` header. */
  token: string | undefined;
  signed: SignedRequest;
  /** The project's path, read lazily: only needed when the secret has per-project entries. */
  projectPath: () => string | null;
}

/**
 * Decides whether a webhook comes from GitLab. A project listed in the secret uses its own
 * tokens/keys when it has any (so one project's token cannot post as another), else the
 * global ones. A signature that is present and checkable must be valid; a project (or the
 * whole bridge) that requires signatures does not accept the plain token alone.
 */
export function authenticateWebhook(input: AuthInput, auth: WebhookAuth, options: { toleranceSeconds: number; nowSeconds: number }): AuthResult {
  const project = Object.keys(auth.projects).length > 0 ? auth.projects[input.projectPath() ?? ''] : undefined;
  const tokens = project && project.tokens.length > 0 ? project.tokens : auth.tokens;
  const keys = project && project.signingKeys.length > 0 ? project.signingKeys : auth.signingKeys;
  const requireSignature = auth.requireSignature || project?.requireSignature === true;
  if (tokens.length === 0 && keys.length === 0) return { ok: false, reason: 'no webhook token or signing key is configured' };

  let signatureValid = false;
  if (keys.length > 0 && hasSignatureHeaders(input.signed)) {
    const check = verifyWebhookSignature(input.signed, keys, options);
    if (!check.valid) return { ok: false, reason: `invalid signature: ${check.reason}` };
    signatureValid = true;
  }
  if (requireSignature) {
    return signatureValid ? { ok: true, via: 'signature' } : { ok: false, reason: 'a valid webhook-signature is required' };
  }
  if (verifyGitLabToken(input.token, tokens)) return { ok: true, via: 'token' };
  if (signatureValid) return { ok: true, via: 'signature' };
  return { ok: false, reason: input.token ? 'X-Gitlab-Token does not match' : 'missing X-Gitlab-Token' };
}
