import { describe, expect, it } from 'vitest';
import { verifyGitLabToken } from '../../lib/gitlab/verify-token.js';

describe('verifyGitLabToken', () => {
  it.each([
    ['accepts the configured token', 'secret-1', ['secret-1'], true],
    ['accepts any of several tokens (rotation)', 'secret-2', ['secret-1', 'secret-2'], true],
    ['rejects a different token', 'secret-3', ['secret-1', 'secret-2'], false],
    ['rejects a prefix of the token', 'secret', ['secret-1'], false],
    ['rejects the token with extra characters', 'secret-1x', ['secret-1'], false],
    ['is case-sensitive', 'SECRET-1', ['secret-1'], false],
    ['rejects a missing header', undefined, ['secret-1'], false],
    ['rejects an empty header', '', ['secret-1'], false],
    ['rejects everything when no token is configured', 'secret-1', [], false],
    ['never matches an empty configured token', '', [''], false],
    ['compares unicode tokens by bytes', 'päss-✓', ['päss-✓'], true],
  ] as const)('%s', (_name, received, tokens, expected) => {
    expect(verifyGitLabToken(received, tokens)).toBe(expected);
  });
});
