/**
 * Atlassian Document Format, the rich-text format of Jira Cloud's REST v3. Comments and
 * worklog comments are sent as ADF: jira.js 6 sends a plain string body through the v2 API
 * and then re-reads the comment, two requests where one will do.
 * https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
 */

export interface AdfText {
  type: 'text';
  text: string;
  marks?: ({ type: 'link'; attrs: { href: string } } | { type: 'code' } | { type: 'em' })[];
}

export interface AdfParagraph {
  type: 'paragraph';
  content: AdfText[];
}

export interface AdfDocument {
  type: 'doc';
  version: 1;
  content: AdfParagraph[];
}

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
