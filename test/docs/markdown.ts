import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, where README.md, CONTRIBUTING.md and docs/ live. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every Markdown file a reader is sent to: README.md, CONTRIBUTING.md and docs/*.md, as repo-relative paths. */
export function docFiles(): string[] {
  const docs = readdirSync(`${REPO_ROOT}docs`)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'CONTRIBUTING.md', ...docs.sort()];
}

export function readDoc(path: string): string {
  return readFileSync(`${REPO_ROOT}${path}`, 'utf8');
}

export interface CodeBlock {
  lang: string;
  text: string;
  line: number;
}

/** Fenced code blocks (```lang ... ```), with the 1-based line of the opening fence. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { lang: string; line: number; body: string[] } | undefined;
  lines.forEach((line, index) => {
    if (line.startsWith('```')) {
      if (open) {
        blocks.push({ lang: open.lang, text: open.body.join('\n'), line: open.line });
        open = undefined;
      } else {
        open = { lang: line.slice(3).trim(), line: index + 1, body: [] };
      }
    } else if (open) {
      open.body.push(line);
    }
  });
  return blocks;
}

/** The prose lines, code blocks blanked out, so `# comments` in shell blocks are not headings. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (line.startsWith('```')) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/**
 * The anchors GitHub gives a file's headings: lowercased, punctuation dropped (letters, digits,
 * spaces, `-` and `_` kept), spaces turned into hyphens, a repeated heading suffixed `-1`, `-2`...
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Links in the prose (`[text](target)`), code blocks and inline code left out. */
export function links(markdown: string): string[] {
  const found: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) found.push(match[1] ?? '');
  }
  return found;
}
