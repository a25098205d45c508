/**
 * Jira issue keys in free text (commit messages, MR titles, branch names).
 *
 * A key is a project key, `-`, and an issue number. The project key follows Jira's default
 * project key format: an uppercase letter, then uppercase letters, digits or `_` (at least two
 * characters; Atlassian, "Changing the project key format"). GitLab's Jira integration reads
 * keys with the same expression (`Gitlab::Regex.jira_issue_key_regex`, `[A-Z][A-Z_0-9]+-\d+`).
 *
 * Where this reader is stricter than GitLab (each choice is a table case in test/jira):
 * - The number has no leading zero (Jira numbers issues from 1): `ABC-007` is not a key.
 * - A key does not continue into a letter or digit: `JIRA-1234A` is nothing (GitLab reads
 *   `JIRA-1234`), because `PART-1234A` is far more often a part number or hash than an issue.
 *   `_` and `-` followed by a letter may follow (`JIRA-1234_fix`, `JIRA-1234-fix-login`), so
 *   branch names work.
 * - A key followed by `-<digit>` or `.<digit>` is part of a longer identifier and is not read:
 *   `CVE-2024-1234`, `ISO-8859-1`, `TICKET-1234-56` (GitLab issue 327327), `GPL-2.0`.
 * - Keys whose project key is a well-known standard prefix (`UTF-8`, `SHA-256`, `ISO-8601`...)
 *   are ignored unless an allowlist names that project key.
 * Like GitLab, a key is not read from the middle of a word (`thisNOT-123`), but may follow
 * punctuation (`abc-JIRA-1` finds `JIRA-1`).
 */

/** Jira's project key format: uppercase letter, then uppercase letters, digits or `_`. */
export const PROJECT_KEY_PATTERN = /^[A-Z][A-Z0-9_]+$/;

const KEY_SOURCE = String.raw`(?<![\p{L}\p{N}_])([A-Z][A-Z0-9_]+)-([1-9][0-9]*)(?![\p{L}\p{N}])(?![-.][0-9])`;

/** A fresh global matcher (regexes with `g` carry state, so each caller gets its own). */
export function issueKeyMatcher(): RegExp {
  return new RegExp(KEY_SOURCE, 'gu');
}

/** Matches one key exactly at `lastIndex` (sticky). */
export function issueKeyAt(text: string, index: number): { key: string; project: string; end: number } | undefined {
  const sticky = new RegExp(KEY_SOURCE, 'uy');
  sticky.lastIndex = index;
  const match = sticky.exec(text);
  if (!match) return undefined;
  return { key: match[0], project: match[1] ?? '', end: index + match[0].length };
}

/**
 * Project keys that look like Jira keys in ordinary engineering text but name standards:
 * `UTF-8`, `SHA-256`, `ISO-8601`, `RFC-2119`, `CWE-79`... Ignored unless allowlisted.
 */
export const NOT_JIRA_PROJECT_KEYS: ReadonlySet<string> = new Set(['UTF', 'UCS', 'ISO', 'IEC', 'IEEE', 'SHA', 'MD', 'CRC', 'AES', 'RSA', 'RFC', 'PEP', 'CWE']);

/** Which project keys count: the allowlist when given, otherwise all but the standard prefixes. */
export function isAcceptedProject(project: string, allowlist: readonly string[] | undefined): boolean {
  if (allowlist && allowlist.length > 0) return allowlist.includes(project);
  return !NOT_JIRA_PROJECT_KEYS.has(project);
}

/** Every accepted issue key in `text`, in order of first appearance, without duplicates. */
export function findIssueKeys(text: string, allowlist?: readonly string[]): string[] {
  // A Set keeps first-appearance order and makes a text with thousands of keys linear, not quadratic.
  const keys = new Set<string>();
  for (const match of text.matchAll(issueKeyMatcher())) {
    const project = match[1] ?? '';
    if (isAcceptedProject(project, allowlist)) keys.add(match[0]);
  }
  return [...keys];
}
