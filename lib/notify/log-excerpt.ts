import { terminalSafe } from '../terminal-safe.js';

/** Issue 11: the last 15 non-empty lines of a failed job's log, at most 2,500 characters. */
export const EXCERPT_LINES = 15;
export const EXCERPT_MAX_CHARS = 2_500;

export const REDACTED = '[REDACTED]';

/**
 * GitLab's collapsible-section markers ("Custom collapsible sections" in GitLab's job log docs):
 * `\e[0Ksection_start:UNIX_TIMESTAMP:SECTION_NAME[options]\r\e[0K` then the header text, and
 * `\e[0Ksection_end:UNIX_TIMESTAMP:SECTION_NAME\r\e[0K`. Removed whole before `\r` is read as an
 * overwrite, so text printed without a newline just before a marker survives.
 */
const SECTION_MARKERS = /(?:\u001b\[0K)?section_(?:start|end):\d*:[^\r\n]*?\r(?:\u001b\[0K)?/g;

/**
 * GitLab token prefixes (GitLab's "Token overview": personal/project/group access glpat-, OAuth
 * application secret gloas-, deploy gldt-, runner authentication glrt-, runner registration
 * glrtr- and GR1348941, CI/CD job glcbt-, pipeline trigger glptt-, feed glft-, incoming email
 * glimt-, Kubernetes agent glagent-, SCIM glsoat-, feature flags client glffct-, workspace glwt-).
 * An instance-wide custom prefix (GitLab 17.x+) cannot be known here.
 */
const GITLAB_TOKEN = /(?:gl(?:pat|oas|dt|rtr|rt|cbt|ptt|ft|imt|agent|soat|ffct|wt)-|GR1348941)[\w.-]+/g;
/** Slack tokens: xoxb- (bot), xoxp- (user), xoxa-, xoxr- (refresh), xoxs-, xoxe-, xoxo-. */
const SLACK_TOKEN = /xox[a-z]-[\w-]+/g;
/** AWS access key ids: AKIA (long-term) and ASIA (temporary) followed by 16 characters. */
const AWS_ACCESS_KEY_ID = /(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
/** An AWS secret access key (40 characters) where it is named, as in `~/.aws/credentials` or an env dump. */
const AWS_SECRET_ACCESS_KEY = /\b(aws_secret_access_key["']?\s*[:=]\s*["']?)[^\s"'`]+/gi;
/**
 * A PEM private key block whole (RSA, EC, OPENSSH, ENCRYPTED...); one whose END line is missing
 * (a log cut short) to the end of the text.
 */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/**
 * The value of an `Authorization:` header (after its scheme, which is kept), in a log line, a
 * curl `-H '...'` or JSON: up to the end of the line or a closing quote.
 */
const AUTHORIZATION_HEADER =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(basic|bearer|token|digest|negotiate|ntlm|bot|aws4-hmac-sha256)\s+)?[^\r\n"'`]+/gi;
/** GitLab's token headers and query parameters: `PRIVATE-TOKEN: x`, `JOB-TOKEN: x`, `?private_token=x`. */
const TOKEN_HEADER = /\b((?:private|job|deploy)[-_]token["']?\s*[:=]\s*["']?)[^\s"'`&]+/gi;
/** The user-info of a URL with a password, `https://user:pass@host` (`git clone https://oauth2:TOKEN@...`). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi;

/**
 * Replaces each span that looks like a credential with `[REDACTED]`, whether or not CI masked
 * it: GitLab, Slack and AWS tokens, PEM private keys, `Authorization` / `PRIVATE-TOKEN` header
 * values and the password part of URLs. Header names, schemes and URL schemes are kept so the
 * line still reads.
 */
export function redactCredentials(text: string): string {
  return redactHeadlessKey(text)
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(AUTHORIZATION_HEADER, (_match, header: string, scheme: string | undefined) => `${header}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(TOKEN_HEADER, `$1${REDACTED}`)
    .replace(AWS_SECRET_ACCESS_KEY, `$1${REDACTED}`)
    .replace(GITLAB_TOKEN, REDACTED)
    .replace(SLACK_TOKEN, REDACTED)
    .replace(AWS_ACCESS_KEY_ID, REDACTED);
}

/**
 * The end of a PEM key's END line (`-----END RSA PRIVATE KEY-----`), however much of the line a
 * cut left (`ATE KEY-----`); a public key's END line matches too, which only over-redacts.
 */
const PEM_KEY_LINE_END = /KEY-----/;

/**
 * A log read from its last 512 KiB may start inside a private key block, its BEGIN line cut
 * off: when the first `KEY-----` of the text is not on a BEGIN line, everything up
 * to it is the rest of a key and is redacted.
 */
function redactHeadlessKey(text: string): string {
  const match = PEM_KEY_LINE_END.exec(text);
  if (!match) return text;
  const lineStart = text.lastIndexOf('\n', match.index) + 1;
  if (text.slice(lineStart, match.index).includes('BEGIN')) return text;
  return REDACTED + text.slice(match.index + match[0].length);
}

/**
 * The readable tail of a GitLab job trace: section markers, terminal escapes (colours, erase
 * line, OSC) and other control characters removed, each line as it finally showed on screen
 * (the text after its last `\r`; `\r\n` ends a line), credentials redacted, then the last
 * `lines` non-empty lines, cut from the start to at most `maxChars` characters.
 */
export function logExcerpt(trace: string, options: { lines?: number; maxChars?: number } = {}): string {
  const lines = options.lines ?? EXCERPT_LINES;
  const maxChars = options.maxChars ?? EXCERPT_MAX_CHARS;
  const screen = trace
    .replace(SECTION_MARKERS, '')
    .split(/\r*\n/)
    .map((line) => terminalSafe(line.slice(line.lastIndexOf('\r') + 1)).trimEnd())
    .filter((line) => line.trim() !== '');
  // Redacted before keeping the tail, so a key block or a token cut by the line count or the
  // character limit never shows its remaining half.
  const kept = redactCredentials(screen.join('\n'))
    .split('\n')
    .filter((line) => line.trim() !== '');
  return cutFromStart(kept.slice(Math.max(0, kept.length - lines)).join('\n'), maxChars);
}

/** The last `maxChars` characters (UTF-16 code units) after a leading `…`, never half a surrogate pair. */
function cutFromStart(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return '';
  let start = text.length - (maxChars - 1);
  const first = text.charCodeAt(start);
  if (first >= 0xdc00 && first <= 0xdfff) start += 1;
  return `…${text.slice(start)}`;
}
