import { describe, expect, it } from 'vitest';
import { adfDocument, adfToWikiMarkup, code, escapeWikiText, link, text } from '../../lib/jira/adf.js';

describe('escapeWikiText (Jira Data Center wiki markup)', () => {
  it.each([
    ['does not mention a user', '[~admin] please look', '\\[\\~admin\\] please look'],
    ['does not embed an image', '!https://evil.example/x.png!', '\\!https://evil.example/x.png\\!'],
    ['does not open a macro', '{html}<script>{html}', '\\{html\\}<script>\\{html\\}'],
    ['does not close monospace', 'a }} b {{', 'a \\}\\} b \\{\\{'],
    ['does not make a link', '[click|https://evil.example]', '\\[click\\|https://evil.example\\]'],
    ['does not bold', '*urgent*', '\\*urgent\\*'],
    ['does not italicise', '_maybe_', '\\_maybe\\_'],
    ['does not cite', '??source??', '\\?\\?source\\?\\?'],
    ['does not strike through', 'was -wrong- here', 'was \\-wrong\\- here'],
    ['does not underline', '+added+', '\\+added\\+'],
    ['does not superscript or subscript', 'x^2^ and H~2~O', 'x\\^2\\^ and H\\~2\\~O'],
    ['does not make a table', '|| a || b ||', '\\|\\| a \\|\\| b \\|\\|'],
    ['does not start a list', '# one', '\\# one'],
    ['does not draw a rule', '----', '\\-\\-\\-\\-'],
    ['keeps issue keys linkable', 'ABC-1 and OPS-22', 'ABC-1 and OPS-22'],
    ['keeps hyphenated words', 'feature-branch', 'feature-branch'],
    ['shows a backslash without making a line break', 'C:\\\\temp', 'C:&#92;&#92;temp'],
    ['keeps a backslash from pairing with an escape', 'a\\*b', 'a&#92;\\*b'],
    ['leaves plain text alone', 'fixed the race in parser.ts (2 files)', 'fixed the race in parser.ts (2 files)'],
  ])('%s: %s', (_rule, input, expected) => {
    expect(escapeWikiText(input)).toBe(expected);
  });
});

describe('adfToWikiMarkup', () => {
  it.each([
    ['a heading at the start of a line', 'h1. Release', '&#104;1. Release'],
    ['a heading on a later line', 'notes\nh3. Big', 'notes\n&#104;3. Big'],
    ['a quote', 'bq. said so', '&#98;q. said so'],
  ])('does not read %s as block markup', (_what, input, expected) => {
    expect(adfToWikiMarkup(adfDocument([[text(input)]]))).toBe(expected);
  });

  it('escapes link text and keeps the target from ending the link early', () => {
    expect(adfToWikiMarkup(adfDocument([[link('a]b|*c*', 'https://gitlab.example.com/g/p?x=[1]|2')]]))).toBe(
      '[a b \\*c\\*|https://gitlab.example.com/g/p?x=%5B1%5D%7C2]',
    );
  });

  it('escapes monospace content so it cannot close early', () => {
    expect(adfToWikiMarkup(adfDocument([[code('x}} [~admin] {{y')]]))).toBe('{{x\\}\\} \\[\\~admin\\] \\{\\{y}}');
  });

  it('keeps its own markup: links, code and paragraphs', () => {
    expect(
      adfToWikiMarkup(
        adfDocument([
          [text('Commit '), link('abc123', 'https://x/commit/abc123')],
          [code('npm test'), text(' passes')],
        ]),
      ),
    ).toBe('Commit [abc123|https://x/commit/abc123]\n\n{{npm test}} passes');
  });
});
