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
 * links as `[text|url]`, code as `{{text}}`, paragraphs separated by a blank line.
 */
export function adfToWikiMarkup(document: AdfDocument): string {
  return document.content
    .map((paragraph) =>
      paragraph.content
        .map((node) => {
          const href = node.marks?.find((mark) => mark.type === 'link');
          if (href && href.type === 'link') return `[${node.text.replace(/[[\]|]/g, ' ')}|${href.attrs.href}]`;
          if (node.marks?.some((mark) => mark.type === 'code')) return `{{${node.text}}}`;
          return node.text;
        })
        .join(''),
    )
    .join('\n\n');
}
