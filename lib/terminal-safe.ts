/**
 * Terminal escape sequences (ECMA-48): CSI (`ESC [` ... final byte, or its 8-bit form 0x9B),
 * OSC/DCS/SOS/PM/APC strings (`ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _`, or 0x9D/0x90/0x98/
 * 0x9E/0x9F) up to BEL or the string terminator (`ESC \` or 0x9C), or to the end of the text
 * when unterminated, and two-byte `ESC x` sequences.
 */
const ESCAPE_SEQUENCES = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]?',
    '(?:\\u001b[\\]PX^_]|[\\u0090\\u0098\\u009d\\u009e\\u009f])[\\s\\S]*?(?:\\u0007|\\u001b\\\\|\\u009c|$)',
    '\\u001b[\\s\\S]?',
  ].join('|'),
  'g',
);

/**
 * C0 controls and DEL and C1 controls, except tab and line feed; and the bidirectional
 * formatting characters (marks, embeddings, overrides, isolates), which make a line display
 * in an order other than its text ("Trojan Source", CVE-2021-42574).
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a payload or a stored record (project paths, refs, commit titles, GitLab's and
 * Jira's words) made safe to print on a terminal: escape sequences are removed whole (an OSC 8
 * hyperlink, a screen clear, a title change), then every remaining control character, `\r`
 * included (it would overwrite the start of the line). `\n` and `\t` are kept for multi-line
 * output and become spaces otherwise.
 */
export function terminalSafe(text: string, options: { multiline?: boolean } = {}): string {
  const stripped = text.replace(ESCAPE_SEQUENCES, '').replace(CONTROL_CHARACTERS, '');
  return options.multiline === false ? stripped.replace(/[\n\t]/g, ' ') : stripped;
}
