import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { filteredOutBy, matchesBranches, matchesName, matchesProject, routesFor, type EventFilterFacts, type RefFacts } from '../../lib/routing/match.js';
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

describe('matchesName', () => {
  it.each([
    ['renovate-bot', 'renovate-bot', true],
    ['renovate-bot', 'Renovate-Bot', true],
    ['renovate-bot', 'renovate-bot2', false],
    ['dependabot*', 'dependabot', true],
    ['dependabot*', 'dependabot-gitlab', true],
    ['dependabot*', 'my-dependabot', false],
    ['*bot', 'Renovate Bot', true],
    ['team::*', 'team::backend', true],
    ['a.b', 'axb', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(matchesName(pattern, name)).toBe(expected);
  });
});

describe('filteredOutBy', () => {
  const options = (extra: Record<string, unknown>) => parseConfig({ routes: [{ slack: { channel: 'C1' }, options: extra }] }).routes[0]!.options;
  const mr = (extra: Partial<EventFilterFacts> = {}): EventFilterFacts => ({
    people: ['agarcia', 'Alex Garcia'],
    labels: ['backend'],
    targetBranch: 'main',
    ...extra,
  });
  const branchPipeline: EventFilterFacts = { people: ['agarcia'] };

  it.each<[string, Record<string, unknown>, EventFilterFacts, string | undefined]>([
    ['no filters let everything through', {}, mr(), undefined],
    [
      'an excluded username',
      { excludeAuthors: ['renovate-bot'] },
      mr({ people: ['renovate-bot'] }),
      'author renovate-bot is excluded (excludeAuthors: renovate-bot)',
    ],
    [
      'an excluded commit author name by glob',
      { excludeAuthors: ['dependabot*'] },
      mr({ people: ['root', 'Dependabot GitLab'] }),
      'author Dependabot GitLab is excluded (excludeAuthors: dependabot*)',
    ],
    ['another author passes', { excludeAuthors: ['renovate-bot'] }, mr(), undefined],
    ['one of the labels', { labels: ['frontend', 'backend'] }, mr(), undefined],
    ['none of the labels', { labels: ['frontend'] }, mr(), 'labels backend: none of labels frontend'],
    ['no labels at all', { labels: ['frontend'] }, mr({ labels: [] }), 'no labels: none of labels frontend'],
    [
      'an excluded label wins over labels',
      { labels: ['backend'], excludeLabels: ['WIP'] },
      mr({ labels: ['backend', 'wip'] }),
      'label wip is excluded (excludeLabels: WIP)',
    ],
    ['labels do not filter events without labels', { labels: ['frontend'], excludeLabels: ['wip'] }, branchPipeline, undefined],
    ['a watched target branch', { targetBranches: ['release/*', 'main'] }, mr(), undefined],
    [
      'a target branch not watched',
      { targetBranches: ['release/*'] },
      mr({ targetBranch: 'develop' }),
      'target branch develop is not watched (targetBranches: release/*)',
    ],
    ['a regex target branch', { targetBranches: ['/^stable-\\d+$/'] }, mr({ targetBranch: 'stable-2' }), undefined],
    ['targetBranches do not filter branch pipelines', { targetBranches: ['release/*'] }, branchPipeline, undefined],
  ])('%s', (_, extra, facts, expected) => {
    expect(filteredOutBy(options(extra), facts)).toBe(expected);
  });
});
