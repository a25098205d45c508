import { describe, expect, it } from 'vitest';
import { adfDocument, adfToWikiMarkup, code, link, text } from '../../lib/jira/adf.js';
import { branchActs, cherryPickOrigin, globMatches, isMergeCommit, jiraDateTime, targetSlug } from '../../lib/jira/policy.js';

describe('branch policy', () => {
  it.each([
    { policy: 'default' as const, branch: 'main', defaultBranch: 'main', acts: true },
    { policy: 'default' as const, branch: 'feature/x', defaultBranch: 'main', acts: false },
    { policy: 'default' as const, branch: 'main', defaultBranch: null, acts: false },
    { policy: 'all' as const, branch: 'feature/x', defaultBranch: 'main', acts: true },
    { policy: ['main', 'release/*'], branch: 'release/1.x', defaultBranch: 'main', acts: true },
    { policy: ['release/*'], branch: 'release/1.x/hotfix', defaultBranch: 'main', acts: false },
    { policy: ['release/**'], branch: 'release/1.x/hotfix', defaultBranch: 'main', acts: true },
    { policy: ['main'], branch: 'mainline', defaultBranch: 'main', acts: false },
  ])('$policy on $branch (default $defaultBranch) acts: $acts', ({ policy, branch, defaultBranch, acts }) => {
    expect(branchActs(policy, branch, defaultBranch).acts).toBe(acts);
  });

  it('treats glob metacharacters other than * literally', () => {
    expect(globMatches('v1.0', 'v1x0')).toBe(false);
    expect(globMatches('group/*', 'group/app')).toBe(true);
  });
});

describe('merge commits', () => {
  it.each([
    ["Merge branch 'feature' into 'main'\n\nFixes ABC-1", true],
    ["Merge remote-tracking branch 'origin/main'", true],
    ["Merge tag 'v1.2'", true],
    ['Merge pull request #12 from acme/feature', true],
    ['Merged the parsers (ABC-1)', false],
    ['Fixes ABC-1', false],
  ])('%j is a merge commit: %s', (message, expected) => {
    expect(isMergeCommit(message)).toBe(expected);
  });
});

describe('cherry-pick origin', () => {
  const original = 'a'.repeat(40);
  it.each([
    [`Fix login\n\n(cherry picked from commit ${original})`, original],
    [`Fix login\r\n\r\n(cherry picked from commit ${original})\r\n`, original],
    [`Fix\n\n(cherry picked from commit ${original})\n(cherry picked from commit ${'b'.repeat(40)})`, original],
    ['Fix login (cherry picked from commit abc)', undefined],
    ['Fix login', undefined],
  ])('%j -> %s', (message, expected) => {
    expect(cherryPickOrigin(message)).toBe(expected);
  });
});

describe('small formats', () => {
  it("writes Jira's worklog date format (numeric offset, no colon)", () => {
    expect(jiraDateTime(new Date('2024-03-01T10:00:00+01:00'))).toBe('2024-03-01T09:00:00.000+0000');
  });

  it('slugs transition targets for effect keys', () => {
    expect([targetSlug('In Review'), targetSlug({ names: ['Done', 'Closed'] }), targetSlug({ ids: ['31', '41'] })]).toEqual(['in-review', 'done', 'id-31-41']);
  });

  it('renders ADF as wiki markup for Data Center, dropping empty text nodes', () => {
    const document = adfDocument([
      [text('Commit '), link('abc123', 'https://x/commit/abc123'), text('')],
      [code('npm test'), text(' passes')],
    ]);
    expect(document.content[0]?.content).toHaveLength(2);
    expect(adfToWikiMarkup(document)).toBe('Commit [abc123|https://x/commit/abc123]\n\n{{npm test}} passes');
  });
});
