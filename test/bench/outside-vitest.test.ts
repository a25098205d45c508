import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../scripts/check-cycles.js';

/**
 * `npm run bench` and `npm run bench:reliability` run with tsx, outside vitest: a module they
 * load that imports vitest (a test helper reading `inject()`, say) makes them crash before
 * they print a figure, and nothing else would notice.
 */
describe('the benchmarks run outside vitest', () => {
  it('import nothing that imports vitest', () => {
    const graph = importGraph(['bench']);
    expect(graph.size).toBeGreaterThan(3);
    const importsVitest = [...graph.keys()].filter((file) =>
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.some((imported) => imported.fileName === 'vitest' || imported.fileName.startsWith('vitest/')),
    );
    expect(importsVitest.map((file) => relative(process.cwd(), file))).toEqual([]);
  });
});
