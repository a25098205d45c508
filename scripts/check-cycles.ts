/**
 * Fails when the project's own modules import each other in a cycle (`npm test` runs it before
 * vitest). A cycle means two modules cannot be read, tested or bundled one without the other,
 * and ESM may hand one of them the other's bindings before they are initialised.
 *
 * Every relative import counts, `import type` included: a type-only cycle is harmless at run
 * time but says the same thing about the design. Package imports are not followed.
 *
 * Usage: `tsx scripts/check-cycles.ts [dir...]` (default: lib cli functions cdk).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SOURCE = /\.(ts|tsx|mts)$/;

/** Every TypeScript source under `dir` (declaration files and node_modules left out). */
function sourcesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourcesUnder(path));
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The file a relative specifier names: `./x.js` is `./x.ts` in the sources (ESM style). */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, join(base, 'index.ts')]) {
    if (SOURCE.test(candidate) && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The import graph of the sources under `dirs`: file -> files it imports (also outside `dirs`). */
export function importGraph(dirs: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = dirs.flatMap((dir) => sourcesUnder(resolve(dir)));
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (graph.has(file)) continue;
    // preProcessFile reads import/export declarations, `import type` and dynamic `import()`.
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = [...new Set(info.importedFiles.map((imported) => resolveImport(file, imported.fileName)).filter((path) => path !== undefined))];
    graph.set(file, targets);
    pending.push(...targets.filter((target) => !graph.has(target)));
  }
  return graph;
}

/**
 * One cycle per tangle of mutually importing files (a strongly connected component, found with
 * Tarjan's algorithm), as a path that starts and ends at the same file.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;

  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(cyclePath(graph, new Set(component), node));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** A shortest path from `start` back to itself inside one strongly connected component. */
function cyclePath(graph: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const between: string[] = [];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) between.unshift(at);
        return [start, ...between, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['lib', 'cli', 'functions', 'cdk'];
  const graph = importGraph(dirs);
  const cycles = findCycles(graph);
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((file) => relative(process.cwd(), file)).join(' -> ')}`);
  if (cycles.length > 0) {
    console.error(`${cycles.length} import cycle(s): move what both sides need into a module both can import`);
    process.exit(1);
  }
  console.log(`no import cycles among ${graph.size} modules`);
}
