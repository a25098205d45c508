import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/program.js';
import { captureContext } from '../cli/harness.js';
import { codeBlocks, docFiles, readDoc } from './markdown.js';

/** `gitlab-bridge ...` lines of the docs' shell blocks, continuation lines joined. */
const cliLines = docFiles().flatMap((file) =>
  codeBlocks(readDoc(file))
    .filter((block) => ['', 'sh', 'bash'].includes(block.lang))
    .flatMap((block) => block.text.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => /(?:^|\|\s*|npx\s+)gitlab-bridge\s+(.*)$/.exec(line.replace(/\s+#.*$/, ''))?.[1])
    .filter((rest): rest is string => rest !== undefined)
    .map((rest) => ({ where: file, line: `gitlab-bridge ${rest}`, words: rest.split(/\s+/) })),
);

const program = buildProgram(captureContext({}).context, () => {});

/** The command a line names (deepest match) and the long flags it and its parents accept. */
function resolve(words: string[]): { command: Command; path: string[]; flags: Set<string> } {
  let command: Command = program;
  const path: string[] = [];
  const flags = new Set<string>(['--help', '--version']);
  const addFlags = (c: Command) => c.options.forEach((option) => option.long && flags.add(option.long));
  addFlags(program);
  for (const word of words) {
    const next = command.commands.find((child) => child.name() === word || child.aliases().includes(word));
    if (!next) break;
    command = next;
    path.push(word);
    addFlags(command);
  }
  return { command, path, flags };
}

describe('gitlab-bridge commands in the docs', () => {
  it('finds them', () => {
    expect(cliLines.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cliLines)('$where: $line names a command and only flags it takes', ({ words }) => {
    const { command, path, flags } = resolve(words);
    if (!words.includes('--help')) {
      expect(path.length).toBeGreaterThan(0);
      expect(command.commands.map((child) => child.name())).toEqual([]); // a runnable command, not a group
    }
    const used = words.flatMap((word) => [...word.matchAll(/(?:^|\[)(--[a-z][a-z0-9-]*)/g)].map((match) => match[1] ?? ''));
    expect(used.filter((flag) => !flags.has(flag))).toEqual([]);
  });
});
