import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, docFiles, headingAnchors, links, readDoc } from './markdown.js';

describe('links between the docs', () => {
  const files = docFiles();

  it('finds the README, CONTRIBUTING and the docs/ pages', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/notices.md', 'docs/jira.md', 'docs/deploy.md', 'docs/cli.md', 'docs/design.md']),
    );
  });

  it.each(files)('every relative link in %s points at a file and heading that exist', (file) => {
    const broken: string[] = [];
    for (const target of links(readDoc(file))) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : normalize(join(dirname(file), path));
      const absolute = join(REPO_ROOT, resolved);
      if (!existsSync(absolute)) {
        broken.push(`${target}: no file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && !(statSync(absolute).isFile() && headingAnchors(readDoc(resolved)).has(anchor))) {
        broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README a front door, not the whole manual', () => {
    expect(readDoc('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });
});
