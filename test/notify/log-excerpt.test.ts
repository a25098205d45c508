import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logExcerpt, redactCredentials } from '../../lib/notify/log-excerpt.js';

// Hand-built traces: vitest-failed.trace as gitlab-runner writes it (colours, sections, a \r progress bar);
// planted-credentials.trace, every planted secret spelled with FAKE so that none surviving is one regex.
const trace = (name: string) => readFileSync(new URL(`../fixtures/traces/${name}`, import.meta.url), 'utf8');
const ESC = '\u001b';
const numbered = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n');

describe('logExcerpt on a GitLab trace', () => {
  it('keeps the last 15 lines of a failed vitest job as they showed on screen', () => {
    expect(logExcerpt(trace('vitest-failed.trace')).split('\n')).toEqual([
      ' FAIL  test/checkout.test.ts > applies the discount once',
      'AssertionError: expected 80 to be 90 // Object.is equality',
      '- Expected',
      '+ Received',
      '- 90',
      '+ 80',
      ' ❯ test/checkout.test.ts:27:31',
      "     25|     const total = checkout(cart, { coupon: 'SAVE10' })",
      '     26|',
      '     27|     expect(total).toBe(90)',
      ' Test Files  1 failed | 1 passed (2)',
      '      Tests  1 failed | 15 passed (16)',
      '   Duration  1.02s',
      'Cleaning up project directory and file based variables',
      'ERROR: Job failed: exit code 1',
    ]);
  });

  it('shows a progress bar as its last state and section headers without their markers', () => {
    const lines = logExcerpt(trace('vitest-failed.trace'), { lines: 100 }).split('\n');
    expect(lines).toContain('[##########] 100% reify:lodash: timing reifyNode');
    expect(lines).toContain('Getting source from Git repository');
    expect(lines.join('\n')).not.toMatch(/section_|\u001b|\r|%.*%/);
  });
});

describe('logExcerpt', () => {
  it.each([
    [
      'removes section markers and keeps the header',
      `${ESC}[0Ksection_start:1732978000:build[collapsed=true]\r${ESC}[0KBuilding\nok\n${ESC}[0Ksection_end:1732978001:build\r${ESC}[0K\n`,
      'Building\nok',
    ],
    ['keeps text printed without a newline before a section marker', `done${ESC}[0Ksection_end:1732978001:build\r${ESC}[0K\nnext`, 'done\nnext'],
    ['strips colours and erase-line', `${ESC}[31;1mERROR${ESC}[0;m ${ESC}[Kfailed`, 'ERROR failed'],
    ['strips OSC hyperlinks, keeping their text', `see ${ESC}]8;;https://example.com\u0007the docs${ESC}]8;;\u0007`, 'see the docs'],
    ['keeps the text after the last \\r of a line', 'downloading 0%\rdownloading 50%\rdownloading 100%\nnext', 'downloading 100%\nnext'],
    ['reads \\r\\n as a line end', 'one\r\ntwo\r\n', 'one\ntwo'],
    ['drops blank, whitespace-only and trailing blank lines', 'a\n\n   \n\t\nb   \n\n\n', 'a\nb'],
    ['keeps the indentation of a stack trace', 'Error: boom\n    at run (app.ts:3:9)', 'Error: boom\n    at run (app.ts:3:9)'],
    ['keeps the last 15 non-empty lines by default', `${numbered(30)}\n\n`, numbered(30).split('\n').slice(15).join('\n')],
  ])('%s', (_rule, input, expected) => {
    expect(logExcerpt(input)).toBe(expected);
  });

  it('keeps the last `lines` non-empty lines', () => {
    expect(logExcerpt(`${numbered(20)}\n\n\n`, { lines: 3 })).toBe('line 18\nline 19\nline 20');
  });

  it('keeps nothing when asked for no lines', () => {
    expect(logExcerpt(numbered(5), { lines: 0 })).toBe('');
  });

  it.each([
    ['leaves text within the limit as it is', 'abc\ndef', 7, 'abc\ndef'],
    ['cuts from the start, marking the cut', 'aaaaaaaaaa\nbbbbbbbbbb', 8, '…bbbbbbb'],
    ['never leaves half a surrogate pair', '😀😀😀😀😀', 4, '…😀'],
  ])('%s', (_rule, input, maxChars, expected) => {
    expect(logExcerpt(input, { maxChars })).toBe(expected);
  });

  it('stays within 2,500 characters by default', () => {
    const excerpt = logExcerpt(Array.from({ length: 20 }, () => 'x'.repeat(400)).join('\n'));
    expect(excerpt).toHaveLength(2_500);
    expect(excerpt.startsWith('…x')).toBe(true);
  });

  it('redacts before cutting, so a cut never shows the rest of a token', () => {
    expect(logExcerpt('glpat-ABCDEFGHIJKLMNOPQRSTUV tail', { maxChars: 20 })).toBe('[REDACTED] tail');
  });

  it('redacts the rest of a key whose BEGIN line a cut of the log left out', () => {
    const tail = 'MIIEFAKEFAKEFAKE\nFAKEbodyLINEtwo\n-----END RSA PRIVATE KEY-----\nkey written';
    expect(redactCredentials(tail)).toBe('[REDACTED]\nkey written');
    expect(redactCredentials(`KEYBODY\nATE KEY-----\nafter`)).toBe('[REDACTED]\nafter');
    expect(logExcerpt(`${tail}\nERROR: Job failed`)).toBe('[REDACTED]\nkey written\nERROR: Job failed');
  });

  it('redacts a key block whole even when the line count would cut it in half', () => {
    const body = Array.from({ length: 20 }, (_, i) => `KEYBODY${i}`).join('\n');
    const excerpt = logExcerpt(`-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\nafter`, { lines: 5 });
    expect(excerpt).toBe('[REDACTED]\nafter');
  });
});

describe('redactCredentials', () => {
  it.each([
    ['a personal access token', 'using glpat-xY3_kq9LmN0pQrStUvWx now', 'using [REDACTED] now'],
    ['a routable personal access token', 'glpat-xY3_kq9LmN0pQrSt.01.0w1abcdef', '[REDACTED]'],
    ['a pipeline trigger token', 'token=glptt-0123456789abcdef0123456789abcdef01234567', 'token=[REDACTED]'],
    ['a deploy token', 'gldt-aB3dE5gH7jK9mN1pQ3sT', '[REDACTED]'],
    ['a runner authentication token', 'glrt-t1_aB3dE5gH7jK9mN1pQ3sT', '[REDACTED]'],
    ['a runner registration token', 'glrtr-aB3dE5gH7jK9mN1pQ3sT and GR1348941aB3dE5gH7jK9mN1', '[REDACTED] and [REDACTED]'],
    ['a CI/CD job token', 'glcbt-64_aB3dE5gH7jK9mN1pQ3sT', '[REDACTED]'],
    ['a feed token in a URL', '/issues.atom?feed_token=glft-aB3dE5gH7jK9mN1&state=opened', '/issues.atom?feed_token=[REDACTED]&state=opened'],
    ['other GitLab tokens', 'gloas-a1b2c3 glimt-a1b2c3 glagent-a1b2c3 glsoat-a1b2c3 glffct-a1b2c3 glwt-a1b2c3', Array(6).fill('[REDACTED]').join(' ')],
    ['Slack tokens', 'xoxb-1-2-abc xoxp-1-2-3-abc xoxa-2-abc xoxr-abc xoxs-abc', Array(5).fill('[REDACTED]').join(' ')],
    ['AWS access key ids', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPLE', 'AWS_ACCESS_KEY_ID=[REDACTED] [REDACTED]'],
    ['a named AWS secret access key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['a PEM private key block', 'key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END PRIVATE KEY-----\ndone', 'key:\n[REDACTED]\ndone'],
    ['a PEM private key block cut short, to the end', 'key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nAAAAB3NzaC1', 'key:\n[REDACTED]'],
    ['an Authorization value, keeping its scheme', '> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x', '> Authorization: Bearer [REDACTED]'],
    ['an Authorization value inside quotes', `curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x`, `curl -H 'Authorization: Basic [REDACTED]' https://x`],
    ['an Authorization value in JSON', '{"Authorization": "token abc123"}', '{"Authorization": "token [REDACTED]"}'],
    ['an Authorization value without a scheme', 'authorization: abc123', 'authorization: [REDACTED]'],
    ['a PRIVATE-TOKEN header', 'PRIVATE-TOKEN: abc123def', 'PRIVATE-TOKEN: [REDACTED]'],
    [
      'a JOB-TOKEN header and a private_token parameter',
      '"JOB-TOKEN: abc" /api?private_token=abc&x=1',
      '"JOB-TOKEN: [REDACTED]" /api?private_token=[REDACTED]&x=1',
    ],
    ['the password in a URL', 'git clone https://oauth2:s3cret@gitlab.example.com/a.git', 'git clone https://[REDACTED]@gitlab.example.com/a.git'],
  ])('redacts %s', (_kind, input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });

  it.each([
    ['plain log text', 'Authorization failed for user alice; see https://gitlab.example.com/a/-/jobs/1'],
    ['an SSH URL with a user name only', 'git@gitlab.example.com:acme/app.git and ssh://git@gitlab.example.com/acme/app'],
    ['words that merely start like a prefix', 'glob-pattern matched, AKIA is short, xoxo kisses'],
    ['GitLab’s own mask', 'TOKEN=[MASKED]'],
  ])('leaves %s alone', (_kind, input) => {
    expect(redactCredentials(input)).toBe(input);
  });

  it('leaves none of the planted credentials in a log full of them, and the text around them', () => {
    const excerpt = logExcerpt(trace('planted-credentials.trace'), { lines: 1_000, maxChars: Infinity });
    expect(excerpt).not.toMatch(/fake/i);
    expect(excerpt).not.toContain('RkFLRTpGQUtF');
    for (const line of [
      'token in env: GITLAB_TOKEN=[REDACTED] (should be masked)',
      'writing key to ~/.ssh/id_rsa:\n[REDACTED]\nkey written\n[REDACTED]\n> GET /api/v4/user HTTP/1.1',
      '> Authorization: Bearer [REDACTED]',
      '$ git clone https://[REDACTED]@gitlab.example.com/acme/app.git',
      "Cloning into 'app'...",
      'ERROR: Job failed: exit code 1',
    ]) {
      expect(excerpt).toContain(line);
    }
  });
});
