/**
 * Text from a request (a header, a project path in a payload) made fit for a log line, a
 * record's status reason or a terminal: control and format characters (escape sequences,
 * line breaks that forge log lines, bidi overrides) replaced by `?`, and cut to `max`
 * characters. Anyone can send a header; only the length of a log line should be ours.
 */
export function printable(value: string, max: number): string {
  const clean = value.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
