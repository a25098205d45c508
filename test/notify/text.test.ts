import { describe, expect, it } from 'vitest';
import { onOrigin, safeUrl } from '../../lib/gitlab/links.js';
import { clampMrkdwn, escapeSlack, escapeTeams, firstLine, formatDuration, slackLink, teamsLink, truncate } from '../../lib/notify/text.js';

describe('escapeSlack', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<https://evil|x>', '&lt;https://evil|x&gt;'],
    ['R&D <team>', 'R&amp;D &lt;team&gt;'],
    ['&amp; stays literal', '&amp;amp; stays literal'],
    ['plain', 'plain'],
  ])('%s -> %s', (input, output) => {
    expect(escapeSlack(input)).toBe(output);
  });
});

describe('onOrigin', () => {
  const project = 'https://gitlab.example.com/group/app';
  it.each([
    ['keeps a URL on the project’s origin', 'https://gitlab.example.com/group/app/-/pipelines/1', 'https://gitlab.example.com/group/app/-/pipelines/1'],
    ['keeps another project on the same instance', 'https://gitlab.example.com/other/-/jobs/2', 'https://gitlab.example.com/other/-/jobs/2'],
    ['drops another host', 'https://evil.example/group/app/-/pipelines/1', undefined],
    ['drops a look-alike host', 'https://gitlab.example.com.evil.example/x', undefined],
    ['drops user-info tricks', 'https://gitlab.example.com@evil.example/x', undefined],
    ['drops another scheme on the same host', 'http://gitlab.example.com/group/app', undefined],
    ['drops another port', 'https://gitlab.example.com:8443/group/app', undefined],
    ['drops javascript:', 'javascript:alert(1)', undefined],
    ['drops nothing', undefined, undefined],
  ])('%s', (_rule, url, expected) => {
    expect(onOrigin(url, project)).toBe(expected);
  });

  it('links nothing when the project URL itself is unusable', () => {
    expect(onOrigin('https://gitlab.example.com/x', 'not a url')).toBeUndefined();
  });
});

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['longer than ten', 10, 'longer th…'],
    ['ab', 1, '…'],
    // Never splits a surrogate pair (emoji).
    ['a😀bc', 3, 'a…'],
  ])('truncate(%j, %d) = %j', (input, max, output) => {
    expect(truncate(input, max)).toBe(output);
  });
});

describe('slackLink', () => {
  it.each([
    ['https://gitlab.example.com/a/b', 'a/b', '<https://gitlab.example.com/a/b|a/b>'],
    ['https://x.example/?a=1&b=2', 'q', '<https://x.example/?a=1&amp;b=2|q>'],
    ['https://x.example/a|b', 'x', '<https://x.example/a%7Cb|x>'],
    ['https://x.example/', '<!channel> | pipe', '<https://x.example/|&lt;!channel&gt; ∣ pipe>'],
    ['javascript:alert(1)', 'click', 'click'],
    [undefined, 'no url', 'no url'],
  ])('%s / %s', (url, label, output) => {
    expect(slackLink(url, label)).toBe(output);
  });
});

describe('clampMrkdwn', () => {
  it('leaves short text alone', () => {
    expect(clampMrkdwn('abc', 10)).toBe('abc');
  });
  it('does not cut inside a link', () => {
    const text = `see <https://example.com/very/long/path|the link> now`;
    const clamped = clampMrkdwn(text, 20);
    expect(clamped).toBe('see …');
  });
  it('does not cut inside an entity', () => {
    expect(clampMrkdwn('a &amp; b &lt;c', 6)).toBe('a …');
    expect(clampMrkdwn('a &amp; b &lt;c', 8)).toBe('a &amp;…');
  });
  it.each([10, 100, 2999, 3000])('output never exceeds %d', (max) => {
    const text = '&lt;'.repeat(2000);
    expect(clampMrkdwn(text, max).length).toBeLessThanOrEqual(max);
  });
});

describe('escapeTeams / teamsLink', () => {
  it.each([
    ['[x](https://evil)', '\\[x\\](https://evil)'],
    ['**bold** _it_ `code`', '\\*\\*bold\\*\\* \\_it\\_ \\`code\\`'],
    ['<at>everyone</at>', '\\<at\\>everyone\\</at\\>'],
    ['- not a list', '\\- not a list'],
    ['1. not a list', '\\1. not a list'],
    ['feature-x', 'feature-x'],
    ['two\nlines', 'two lines'],
  ])('%j -> %j', (input, output) => {
    expect(escapeTeams(input)).toBe(output);
  });

  it('links only http(s) URLs and escapes the label', () => {
    expect(teamsLink('https://g.example/a (b)', '[x]')).toBe('[\\[x\\]](https://g.example/a%20%28b%29)');
    expect(teamsLink('data:text/html,hi', 'label')).toBe('label');
  });
});

describe('small helpers', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [192, '3m 12s'],
    [3725, '1h 2m'],
    [null, undefined],
    [-1, undefined],
  ])('formatDuration(%j) = %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('firstLine takes the commit title', () => {
    expect(firstLine('Title here\n\nBody')).toBe('Title here');
    expect(firstLine('\r\n')).toBe('');
  });

  it('safeUrl refuses non-http schemes', () => {
    expect(safeUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(safeUrl('slack://open')).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
  });
});
