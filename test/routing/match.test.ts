import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { matchesBranches, matchesProject, routesFor, type RefFacts } from '../../lib/routing/match.js';
import type { BranchFilter } from '../../lib/routing/schema.js';

describe('matchesProject', () => {
  it.each([
    ['acme/app', 'acme/app', true],
    ['acme/app', 'acme/app2', false],
    ['acme/*', 'acme/app', true],
    ['acme/*', 'acme/tools/cli', false],
    ['acme/*', 'acme', false],
    ['acme/**', 'acme/app', true],
    ['acme/**', 'acme/tools/cli', true],
    ['acme/**', 'acme', false],
    ['acme/**', 'acmecorp/app', false],
    ['**', 'any/group/deep/project', true],
    ['**/app', 'acme/app', true],
    ['**/app', 'acme/tools/app', true],
    ['**/app', 'acme/tools/app-2', false],
    ['acme/**/cli', 'acme/cli', true],
    ['acme/**/cli', 'acme/tools/x/cli', true],
    ['acme/svc-*', 'acme/svc-billing', true],
    ['acme/svc-*', 'acme/web', false],
    ['ACME/App', 'acme/app', true],
    ['acme/app.js', 'acme/appxjs', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matchesProject(pattern, path)).toBe(expected);
  });
});

const ref = (overrides: Partial<RefFacts> = {}): RefFacts => ({ ref: 'main', isTag: false, defaultBranch: 'main', isProtected: undefined, ...overrides });

describe('matchesBranches', () => {
  it.each<[string, BranchFilter, RefFacts, boolean]>([
    ['default: the default branch', 'default', ref(), true],
    ['default: another branch', 'default', ref({ ref: 'feature/x' }), false],
    ['default: a tag named like the default branch', 'default', ref({ isTag: true }), false],
    ['default: project without a default branch', 'default', ref({ defaultBranch: null }), false],
    ['all: any branch', 'all', ref({ ref: 'feature/x' }), true],
    ['all: a tag', 'all', ref({ ref: 'v1.0.0', isTag: true }), true],
    ['protected: protected', 'protected', ref({ ref: 'release/1', isProtected: true }), true],
    ['protected: not protected', 'protected', ref({ isProtected: false }), false],
    ['protected: unknown', 'protected', ref({ isProtected: undefined }), false],
    ['wildcard: exact', ['main', 'develop'], ref({ ref: 'develop' }), true],
    ['wildcard: * spans slashes (as GitLab)', ['release/*'], ref({ ref: 'release/2026/q1' }), true],
    ['wildcard: suffix', ['*-stable'], ref({ ref: '17-3-stable' }), true],
    ['wildcard: no match', ['release/*'], ref({ ref: 'feature/release' }), false],
    ['wildcard: dots are literal', ['v1.0'], ref({ ref: 'v1x0' }), false],
    ['regex', ['/^release-\\d+$/'], ref({ ref: 'release-42' }), true],
    ['regex: no match', ['/^release-\\d+$/'], ref({ ref: 'release-x' }), false],
    ['regex: case-insensitive flag', ['/^HOTFIX/i'], ref({ ref: 'hotfix/login' }), true],
  ])('%s', (_name, filter, facts, expected) => {
    expect(matchesBranches(filter, facts)).toBe(expected);
  });
});

describe('routesFor', () => {
  const config = parseConfig({
    routes: [
      { name: 'web', projects: ['acme/web'], events: ['pipeline'], slack: { channel: 'C1' } },
      { name: 'all-acme', projects: ['acme/**'], slack: { channel: 'C2' } },
      { name: 'mrs', events: ['merge_request'], teams: { webhook: 'default' } },
    ],
  });

  it('takes routes by event and project, in config order', () => {
    expect(routesFor(config.routes, 'pipeline', 'acme/web').map((route) => route.name)).toEqual(['web', 'all-acme']);
    expect(routesFor(config.routes, 'merge_request', 'acme/web').map((route) => route.name)).toEqual(['all-acme', 'mrs']);
    expect(routesFor(config.routes, 'pipeline', 'other/app')).toEqual([]);
  });
});
