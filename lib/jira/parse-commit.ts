import { isAcceptedProject, issueKeyAt, issueKeyMatcher } from './issue-keys.js';

/**
 * Reads the Jira commands in a commit message. Pure: no clients, no config file, no clock.
 *
 * Two grammars are read, each per line (a command never spans lines):
 *
 * 1. Closing keywords, as GitLab's Jira integration reads them (GitLab's default
 *    `issue_closing_pattern`): close/closes/closed/closing, fix/fixes/fixed/fixing,
 *    resolve/resolves/resolved/resolving, implement/implements/implemented/implementing, an
 *    optional colon, one or more spaces, then one or more keys separated by `,`, spaces or
 *    `and` (`Closes ABC-1, ABC-2 and ABC-3`). Unlike GitLab's pattern, which only allows an
 *    uppercase first letter, the keyword is read case-insensitively (`FIXES ABC-1`).
 *
 * 2. Jira Smart Commits, as Atlassian documents them ("Process work items with smart
 *    commits"): `<ignored text> KEY [KEY...] <ignored text> #command <args> [#command <args>...]`.
 *    - `#comment <text>` adds a comment.
 *    - `#time 1w 2d 4h 30m <comment>` logs work; each value may be a decimal.
 *    - `#<transition> <comment>` runs a workflow transition; hyphens stand for spaces
 *      (`#start-review`), and text after it is added as a comment.
 *    Every key before the first command on a line receives every command on that line. A line
 *    with commands but no key does nothing (Atlassian's multi-line example: a `#time` on the
 *    line after the key is not applied).
 */

export type CommitCommand =
  | { kind: 'close'; keys: string[]; keyword: string; line: number }
  | { kind: 'comment'; keys: string[]; text: string; line: number }
  | { kind: 'time'; keys: string[]; duration: string; seconds: number; comment?: string; line: number }
  | { kind: 'transition'; keys: string[]; name: string; command: string; comment?: string; line: number };

export interface RejectedCommand {
  line: number;
  /** The keys the command was meant for (the keys before the first command on its line). */
  keys: string[];
  text: string;
  reason: string;
}

export interface ParsedCommitMessage {
  commands: CommitCommand[];
  /** Every accepted key anywhere in the message, in order of first appearance. */
  mentions: string[];
  /** Commands that look meant but cannot be run (`#time soon`), with the reason. */
  rejected: RejectedCommand[];
}

export interface ParseOptions {
  /** When non-empty, only keys of these projects are read. */
  projectKeys?: readonly string[];
  /** Read Atlassian Smart Commit commands (default true). */
  smartCommits?: boolean;
  /** Read GitLab closing keywords (default true). */
  closingKeywords?: boolean;
}

/** Line breaks: CRLF, CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/u;
/** Any Unicode whitespace (`\s` covers NBSP, em space, ideographic space...) plus zero-width spaces. */
const WHITESPACE_RUN = /[\s\u200B\u2060\uFEFF]+/gu;

const CLOSING_KEYWORD = /(?<![\p{L}\p{N}_])(clos(?:e[sd]?|ing)|fix(?:e[sd]|ing)?|resolv(?:e[sd]?|ing)|implement(?:s|ed|ing)?)(:?) +/giu;
/** Between keys after a closing keyword, as in GitLab's pattern: `, `, ` and `, `, and `, or spaces. */
const KEY_SEPARATOR = / *,? +and +| *,? */y;

/** `#name` at the start of a line or after whitespace; the name starts with a letter. */
const COMMAND = /(?<=^|\s)#(\p{L}[\p{L}\p{N}_-]*)(?=$|[\s.,;:!?)\]])/gu;

const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)([wdhm])/giy;
/** Jira's defaults for time tracking: 8-hour days, 5-day weeks (only used to reject zero durations and to report). */
const UNIT_SECONDS: Record<string, number> = { w: 5 * 8 * 3600, d: 8 * 3600, h: 3600, m: 60 };

export function parseCommitMessage(message: string, options: ParseOptions = {}): ParsedCommitMessage {
  const smartCommits = options.smartCommits ?? true;
  const closingKeywords = options.closingKeywords ?? true;
  const accept = (project: string) => isAcceptedProject(project, options.projectKeys);

  const commands: CommitCommand[] = [];
  const rejected: RejectedCommand[] = [];
  const mentions: string[] = [];

  message.split(LINE_BREAK).forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = rawLine.replace(WHITESPACE_RUN, ' ').trim();
    if (line === '') return;

    const keysInLine = [...line.matchAll(issueKeyMatcher())].filter((match) => accept(match[1] ?? '')).map((match) => ({ key: match[0], at: match.index }));
    for (const { key } of keysInLine) if (!mentions.includes(key)) mentions.push(key);
    if (keysInLine.length === 0) return;

    if (closingKeywords) commands.push(...readClosingKeywords(line, lineNumber, accept));
    if (smartCommits) readSmartCommands(line, lineNumber, keysInLine, commands, rejected);
  });

  return { commands, mentions, rejected };
}

function readClosingKeywords(line: string, lineNumber: number, accept: (project: string) => boolean): CommitCommand[] {
  const found: CommitCommand[] = [];
  for (const match of line.matchAll(CLOSING_KEYWORD)) {
    const keys: string[] = [];
    let position = match.index + match[0].length;
    let next = issueKeyAt(line, position);
    while (next) {
      if (accept(next.project) && !keys.includes(next.key)) keys.push(next.key);
      position = next.end;
      KEY_SEPARATOR.lastIndex = position;
      const separator = KEY_SEPARATOR.exec(line);
      next = separator ? issueKeyAt(line, position + separator[0].length) : undefined;
    }
    if (keys.length > 0) found.push({ kind: 'close', keys, keyword: match[1] ?? '', line: lineNumber });
  }
  return found;
}

function readSmartCommands(
  line: string,
  lineNumber: number,
  keysInLine: readonly { key: string; at: number }[],
  commands: CommitCommand[],
  rejected: RejectedCommand[],
): void {
  const tokens = [...line.matchAll(COMMAND)];
  const first = tokens[0];
  if (!first) return;
  const keys = unique(keysInLine.filter((entry) => entry.at < first.index).map((entry) => entry.key));
  if (keys.length === 0) return;

  tokens.forEach((token, i) => {
    const name = token[1] ?? '';
    const end = tokens[i + 1]?.index ?? line.length;
    const args = meaningful(line.slice(token.index + token[0].length, end));
    const lower = name.toLowerCase();
    if (lower === 'comment') {
      if (args === undefined) rejected.push({ line: lineNumber, keys, text: token[0], reason: '#comment has no text' });
      else commands.push({ kind: 'comment', keys, text: args, line: lineNumber });
      return;
    }
    if (lower === 'time') {
      const time = readDuration(args ?? '');
      if (!time) rejected.push({ line: lineNumber, keys, text: `${token[0]}${args ? ` ${args}` : ''}`, reason: '#time needs a duration such as 1w 2d 4h 30m' });
      else
        commands.push({
          kind: 'time',
          keys,
          duration: time.duration,
          seconds: time.seconds,
          ...(time.comment ? { comment: time.comment } : {}),
          line: lineNumber,
        });
      return;
    }
    const transition = name.replace(/-/g, ' ').replace(/ +/g, ' ').trim();
    if (transition === '') return;
    commands.push({ kind: 'transition', keys, name: transition, command: name, ...(args ? { comment: args } : {}), line: lineNumber });
  });
}

/** Reads `1w 2d 4h 30m rest...`: leading duration tokens (also `1h30m`), then the comment. */
export function readDuration(args: string): { duration: string; seconds: number; comment?: string } | undefined {
  const words = args.split(' ').filter((word) => word !== '');
  const parts: string[] = [];
  const seen = new Set<string>();
  let seconds = 0;
  let used = 0;
  for (const word of words) {
    const pieces = durationPieces(word);
    if (!pieces || pieces.some((piece) => seen.has(piece.unit))) break;
    for (const piece of pieces) {
      seen.add(piece.unit);
      parts.push(`${piece.value}${piece.unit}`);
      seconds += Number(piece.value) * (UNIT_SECONDS[piece.unit] ?? 0);
    }
    used++;
  }
  if (parts.length === 0 || seconds <= 0) return undefined;
  const comment = words.slice(used).join(' ');
  return { duration: parts.join(' '), seconds: Math.round(seconds), ...(meaningful(comment) ? { comment } : {}) };
}

function durationPieces(word: string): { value: string; unit: string }[] | undefined {
  const pieces: { value: string; unit: string }[] = [];
  DURATION_PART.lastIndex = 0;
  let position = 0;
  while (position < word.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(word);
    if (!match) return undefined;
    const unit = (match[2] ?? '').toLowerCase();
    if (pieces.some((piece) => piece.unit === unit)) return undefined;
    pieces.push({ value: match[1] ?? '', unit });
    position += match[0].length;
  }
  return pieces.length > 0 ? pieces : undefined;
}

/** Trimmed text, or undefined when it holds nothing but spaces and punctuation. */
function meaningful(text: string): string | undefined {
  const trimmed = text.trim();
  return /^[\p{P}\p{S}\s]*$/u.test(trimmed) ? undefined : trimmed;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
