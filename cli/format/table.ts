import { terminalSafe } from '../../lib/terminal-safe.js';

export interface Column {
  header: string;
  /** Longest a cell may be; longer cells end in `…`. */
  maxWidth?: number;
  align?: 'left' | 'right';
}

/** Cuts `text` to `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * A plain-text table: a header row, then one row per item, columns padded to the widest cell
 * and separated by two spaces (the layout of `kubectl get` and `aws ... --output table`-free
 * tools, which stays readable in logs and greppable). No trailing spaces.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((column, i) => truncate(oneLine(row[i] ?? ''), column.maxWidth ?? Number.POSITIVE_INFINITY)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (columns[i]!.align === 'right' ? value.padStart(widths[i]!) : i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n') + '\n';
}

/**
 * Newlines and tabs in a cell would break the table's rows; escape sequences would both act on
 * the terminal and throw the column widths off, so they go before widths are measured.
 */
function oneLine(text: string): string {
  return terminalSafe(text, { multiline: false }).replace(/ {2,}/g, ' ');
}

/** `2026-01-31T09:15:02.123Z` -> `2026-01-31 09:15:02` (UTC, as the header says). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]}` : iso;
}

/** JSON for scripts: two-space indented, one trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
