import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycles, importGraph } from '../../scripts/check-cycles.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/check-cycles.ts');
const run = promisify(execFile);
const trees: string[] = [];

/** A throwaway source tree: path -> file text. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  trees.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function cyclesIn(dir: string): string[][] {
  return findCycles(importGraph([join(dir, 'lib')])).map((cycle) => cycle.map((file) => relative(dir, file)));
}

afterAll(() => {
  for (const dir of trees) rmSync(dir, { recursive: true, force: true });
});

describe('check-cycles', () => {
  it('finds a cycle through an `import type` across folders', () => {
    const dir = tree({
      'lib/worker/planners.ts': "import { createJiraPlanner } from '../jira/planner.js';\nexport interface PlannerDeps {}\n",
      'lib/jira/planner.ts': "import type { PlannerDeps } from '../worker/planners.js';\nexport function createJiraPlanner(deps: PlannerDeps) {}\n",
      'lib/jira/adf.ts': "import { z } from 'zod';\nexport const adf = z;\n",
    });
    expect(cyclesIn(dir)).toEqual([['lib/jira/planner.ts', 'lib/worker/planners.ts', 'lib/jira/planner.ts']]);
  });

  it('finds a module that imports itself, and one cycle per tangle of three', () => {
    const dir = tree({
      'lib/self.ts': "export * from './self.js';\n",
      'lib/a.ts': "import './b.js';\n",
      'lib/b.ts': "export { c } from './c.js';\n",
      'lib/c.ts': "export const c = () => import('./a.js');\n",
    });
    expect(cyclesIn(dir)).toEqual([
      ['lib/a.ts', 'lib/b.ts', 'lib/c.ts', 'lib/a.ts'],
      ['lib/self.ts', 'lib/self.ts'],
    ]);
  });

  it('finds none in a tree whose imports only go one way', () => {
    const dir = tree({
      'lib/worker/action.ts': 'export interface PlannerDeps {}\n',
      'lib/jira/planner.ts': "import type { PlannerDeps } from '../worker/action.js';\nexport function createJiraPlanner(deps: PlannerDeps) {}\n",
      'functions/planners.ts': "import { createJiraPlanner } from '../lib/jira/planner.js';\n",
    });
    expect(cyclesIn(dir)).toEqual([]);
  });

  it('exits non-zero naming the files of a cycle', async () => {
    const dir = tree({ 'lib/a.ts': "import './b.js';\n", 'lib/b.ts': "import './a.js';\n" });
    await expect(run(join(ROOT, 'node_modules/.bin/tsx'), [SCRIPT, 'lib'], { cwd: dir })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('import cycle: lib/a.ts -> lib/b.ts -> lib/a.ts'),
    });
  });

  it('finds none in this repository', () => {
    const graph = importGraph(['lib', 'cli', 'functions', 'cdk'].map((dir) => join(ROOT, dir)));
    expect(graph.size).toBeGreaterThan(100);
    expect(findCycles(graph)).toEqual([]);
  });
});
