/**
 * Atlassian Document Format, the rich-text format of Jira Cloud's REST v3. Comments and
 * worklog comments are sent as ADF: jira.js 6 sends a plain string body through the v2 API
 * and then re-reads the comment, two requests where one will do.
 * https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
 */

export type AdfText = {
  type: 'text';
  text: string;
  marks?: ({ type: 'link'; attrs: { href: string } } | { type: 'code' } | { type: 'em' })[];
};

export type AdfParagraph = {
  type: 'paragraph';
  content: AdfText[];
};

// Type aliases, not interfaces: jira.js types a document's content as Record<string, any>[],
// which only accepts types with an implicit index signature.
export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: AdfParagraph[];
};

/** A document of paragraphs; empty text nodes are dropped (ADF rejects them). */
export function adfDocument(paragraphs: readonly (readonly AdfText[])[]): AdfDocument {
  return {
    type: 'doc',
    version: 1,
    content: paragraphs
      .map((paragraph) => paragraph.filter((node) => node.text !== ''))
      .filter((paragraph) => paragraph.length > 0)
      .map((content) => ({ type: 'paragraph' as const, content: [...content] })),
  };
}

export function text(value: string): AdfText {
  return { type: 'text', text: value };
}

export function link(value: string, href: string): AdfText {
  return { type: 'text', text: value, marks: [{ type: 'link', attrs: { href } }] };
}

export function code(value: string): AdfText {
  return { type: 'text', text: value, marks: [{ type: 'code' }] };
}

/** The plain text of a document, for printing in local mode and for logs. */
export function adfToPlainText(document: AdfDocument): string {
  return document.content.map((paragraph) => paragraph.content.map((node) => node.text).join('')).join('\n');
}

/**
 * The same document as Jira wiki markup, for Jira Data Center's REST v2 (which has no ADF):
 * links as `[text|url]`, code as `{{text}}`, paragraphs separated by a blank line. Text is
 * escaped (escapeWikiText): commit messages and titles are written by whoever pushes, and
 * unescaped they could mention users (`[~admin]`), embed images (`!https://...!`), open macros
 * (`{html}`) or close the `{{code}}` around them.
 */
export function adfToWikiMarkup(document: AdfDocument): string {
  return document.content
    .map((paragraph) =>
      escapeLineStarts(
        paragraph.content
          .map((node) => {
            const href = node.marks?.find((mark) => mark.type === 'link');
            if (href && href.type === 'link') return `[${escapeWikiText(node.text.replace(/[[\]|]/g, ' '))}|${wikiLinkTarget(href.attrs.href)}]`;
            if (node.marks?.some((mark) => mark.type === 'code')) return `{{${escapeWikiText(node.text)}}}`;
            return escapeWikiText(node.text);
          })
          .join(''),
      ),
    )
    .join('\n\n');
}

/**
 * Characters Jira's wiki renderer reads as markup anywhere in a line (Jira "Text Formatting
 * Notation Help"): phrase marks `*bold*`, `_em_`, `??cite??`, `-del-`, `+ins+`, `^sup^`, `~sub~`;
 * `{{mono}}` and `{macro}`; `[link]` and `[~mention]`; `!image!`; `|table|`; `#` and `*` lists.
 * Jira renders `\X` as a literal X for these.
 */
const WIKI_SPECIAL = /[\\*_?\-+^~{}[\]!|#]/g;

/**
 * Plain text as Jira wiki markup that renders as the same text. Every markup character gets a
 * backslash, except a hyphen between two letters or digits (`ABC-1`, `feature-branch`): it
 * cannot open or close `-deleted-` there, and escaping it would stop Jira linking issue keys.
 * A backslash itself becomes `&#92;`: `\\` is Jira's line break, and a backslash before an
 * escaped character would otherwise pair with the escape (pandoc's Jira writer does the same).
 */
export function escapeWikiText(value: string): string {
  // One pass, so the backslashes added here are not themselves turned into entities.
  return value.replace(WIKI_SPECIAL, (char, offset: number, whole: string) => {
    if (char === '\\') return '&#92;';
    if (char === '-' && /[\p{L}\p{N}]/u.test(whole[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(whole[offset + 1] ?? '')) return char;
    return `\\${char}`;
  });
}

/**
 * Block markup that only counts at the start of a line and uses no special character: headings
 * (`h1.` to `h6.`) and quotes (`bq.`). Their first letter becomes an HTML entity, which Jira
 * shows as the letter without reading the line as a heading.
 */
function escapeLineStarts(markup: string): string {
  return markup.replace(
    /(^|\n)([ \t]*)(h[1-6]|bq)\./g,
    (_match, start: string, indent: string, token: string) => `${start}${indent}&#${token.charCodeAt(0)};${token.slice(1)}.`,
  );
}

/** A link target that cannot end the `[text|url]` early or start another one. */
function wikiLinkTarget(href: string): string {
  return href.replace(/[[\]|{}\s]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
