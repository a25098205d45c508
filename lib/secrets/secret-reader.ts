import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Reads a secret's string value. Implementations must never log the value. */
export interface SecretReader {
  read(secretId: string): Promise<string>;
}

/**
 * Secrets Manager with a short in-memory cache: a warm Lambda does not call Secrets Manager on
 * every request, and a rotated secret is picked up within `ttlMs` (default 5 minutes).
 */
export class CachedSecretsManagerReader implements SecretReader {
  private readonly cache = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(secretId: string): Promise<string> {
    const cached = this.cache.get(secretId);
    if (cached && cached.expires > this.now()) return cached.value;
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = result.SecretString ?? (result.SecretBinary ? Buffer.from(result.SecretBinary).toString('utf8') : '');
    this.cache.set(secretId, { value, expires: this.now() + this.ttlMs });
    return value;
  }
}
