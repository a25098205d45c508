/**
 * Text safety for chat notices. Everything that came from GitLab (titles, names, commit
 * messages, branch names) is user-supplied: in Slack it is escaped so `<!channel>` cannot ping
 * a channel and `<https://evil|x>` cannot pose as a link; in Teams markdown it is escaped so
 * `[x](https://evil)` stays text. Long input is truncated, never rejected.
 */
import { safeUrl } from '../gitlab/links.js';

const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `max` UTF-16 units, ending in `…` when cut, never splitting a
 * surrogate pair. For raw (unescaped) text; escape after truncating.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  let end = max - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** First line of a commit message or title, trimmed. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.trim();
}

/** Slack's three control characters (Slack API docs, "Formatting text: escaping"). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Truncates raw text to `max` characters, then escapes it for Slack mrkdwn/plain_text. */
export function slackText(text: string, max: number): string {
  return escapeSlack(truncate(text, max));
}

/**
 * `<url|label>` for Slack mrkdwn. The label is escaped; in the URL `|`, `<`, `>` and spaces
 * would end the link early, so they are percent-encoded. Without a usable URL: the label.
 */
export function slackLink(url: string | null | undefined, label: string, maxLabel = 200): string {
  const text = slackText(label, maxLabel).replace(/\|/g, '∣');
  const safe = safeUrl(url);
  if (!safe) return text;
  const href = safe.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/ /g, '%20').replace(/&/g, '&amp;');
  return `<${href}|${text}>`;
}

/**
 * Fits already escaped mrkdwn into `max` characters without cutting an `&amp;` entity or a
 * `<url|label>` link in half: backs off to before the broken piece and appends `…`.
 */
export function clampMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  if (cut.length > 0 && isHighSurrogate(cut.charCodeAt(cut.length - 1))) cut = cut.slice(0, -1);
  return cut + ELLIPSIS;
}

/**
 * Escapes text for the markdown subset Teams renders in Adaptive Card TextBlocks: the
 * characters that make emphasis, links, code or tags are backslash-escaped anywhere, and a
 * leading `-`, `+`, `#` or `1.` (a list or heading) at the start. Newlines become spaces, so
 * user text cannot start a new markdown line. Hyphens inside words stay as they are.
 */
export function escapeTeams(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]<>~]/g, '\\$&')
    .replace(/^(\s*)([-+#]|\d+\.)/, '$1\\$2');
}

/** Truncates raw text, then escapes it for Teams markdown. */
export function teamsText(text: string, max: number): string {
  return escapeTeams(truncate(text, max));
}

/** `[label](url)` for Teams markdown, or the escaped label without a usable URL. */
export function teamsLink(url: string | null | undefined, label: string, maxLabel = 200): string {
  const text = teamsText(label, maxLabel);
  const safe = safeUrl(url);
  if (!safe) return text;
  return `[${text}](${safe.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20')})`;
}

/** `3h 2m`, `4m 12s`, `45s`. */
export function formatDuration(seconds: number | null | undefined): string | undefined {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${secs}s`;
  return `${secs}s`;
}

/** `script_failure` -> `script failure`. */
export function humanize(code: string): string {
  return code.replace(/_/g, ' ');
}
