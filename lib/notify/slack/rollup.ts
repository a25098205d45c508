import { slackLink, slackText } from '../text.js';
import { SLACK_LIMITS, context, header, message, section, type SlackMessage } from './block-kit.js';

/** One failure a storm rollup lists (lib/notify/rollup.ts keeps them). */
export interface RollupLine {
  /** The failure notice's effect key: one line per notice, so a retry adds none. */
  effect: string;
  /** The ref's streak key: its recovery marks the ref's lines fixed. */
  streak: string;
  projectPath: string;
  projectUrl: string;
  ref: string;
  refUrl: string;
  pipelineId: number;
  pipelineUrl: string;
  /** Posted as a notice of its own before the storm folded (or in its ref's thread): not folded. */
  posted?: boolean;
  /** Replied in its ref's thread (the ref's first failure had a notice of its own): not folded. */
  threaded?: boolean;
  /** The green pipeline that ended the ref's streak. */
  fixedBy?: { pipelineId: number; pipelineUrl: string };
}

/** Lines a rollup shows; beyond, it says how many more and where to find them. */
export const MAX_ROLLUP_LINES = 150;
/** Sections of lines per message: the header, the context line and these stay within Slack's 50 blocks. */
const MAX_LINE_SECTIONS = SLACK_LIMITS.blocks - 3;

/** "acme/*" when every project shares its namespace, else "N projects". */
export function rollupScope(paths: readonly string[]): string {
  const namespaces = new Set(paths.map((path) => path.split('/').slice(0, -1).join('/')));
  const [only] = [...namespaces];
  if (namespaces.size === 1 && only) return `${only}/*`;
  const projects = new Set(paths).size;
  return projects === 1 ? (paths[0] ?? 'one project') : `${projects} projects`;
}

function lineText(line: RollupLine): string {
  const pipeline = slackLink(line.pipelineUrl, `#${line.pipelineId}`);
  const where = `${slackLink(line.projectUrl, line.projectPath, 120)} on ${slackLink(line.refUrl, line.ref, 120)}`;
  const state = line.fixedBy ? `:white_check_mark: fixed by ${slackLink(line.fixedBy.pipelineUrl, `#${line.fixedBy.pipelineId}`)}` : ':x: failed';
  const note = line.posted ? ' (own notice)' : line.threaded ? " (in its ref's thread)" : '';
  return `• ${where}: ${pipeline} ${state}${note}`;
}

/**
 * The storm rollup: "7 pipelines failing in acme/*", then one line per failure, newest last,
 * each linking its project, ref and pipeline, marked fixed when its ref went green. Lines are
 * packed into sections of at most 3000 characters, never cut in half.
 */
export function formatStormRollup(lines: readonly RollupLine[]): SlackMessage {
  const failing = lines.filter((line) => !line.fixedBy).length;
  const fixed = lines.length - failing;
  const scope = rollupScope(lines.map((line) => line.projectPath));
  const title = `${failing} pipeline${failing === 1 ? '' : 's'} failing in ${scope}${fixed > 0 ? `, ${fixed} fixed` : ''}`;
  const shown = lines.slice(-MAX_ROLLUP_LINES);
  const sections: string[] = [];
  let current = '';
  for (const text of shown.map(lineText)) {
    const next = current ? `${current}\n${text}` : text;
    if (next.length > SLACK_LIMITS.sectionText && current) {
      sections.push(current);
      current = text;
    } else current = next;
  }
  if (current) sections.push(current);
  const kept = sections.slice(-MAX_LINE_SECTIONS);
  const keptLines = kept.reduce((count, text) => count + text.split('\n').length, 0);
  const hidden = lines.length - keptLines;
  const note =
    `Too many failures at once: these are folded here instead of a notice each, and this message follows them.` +
    (hidden > 0 ? ` ${hidden} earlier ${hidden === 1 ? 'one is' : 'ones are'} left out: \`gitlab-bridge deliveries list\` has every delivery.` : '');
  return message(`:rotating_light: ${slackText(title, 300)}`, [header(`🚨 ${title}`), ...kept.map(section), context(note)]);
}
