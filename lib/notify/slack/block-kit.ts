/**
 * The few Block Kit pieces the notices use, each kept within Slack's documented limits
 * (Block Kit reference, "Blocks" and "Composition objects"): a message holds at most 50
 * blocks; a section's text at most 3000 characters and at most 10 fields of 2000; a header
 * 150; a button's text 75 and its URL 3000; a context at most 10 elements.
 * Inputs are already escaped mrkdwn; these builders only clamp.
 */
import { safeUrl } from '../../gitlab/links.js';
import { clampMrkdwn } from '../text.js';

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonUrl: 3000,
  contextElements: 10,
  /** Slack truncates a message's top-level `text` beyond 40,000 characters; notices stay far below. */
  fallbackText: 3000,
} as const;

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
  /** mrkdwn only: see `mrkdwn()`. */
  verbatim?: boolean;
}

/**
 * A mrkdwn text object with `verbatim: true`. With Slack's default (`false`), Slack rewrites the
 * plain text it finds: URLs become links, `#channel` names links, and "certain mentions" are
 * parsed (Block Kit reference, "Text object"). The text here holds GitLab's user-supplied
 * strings, so nothing in them may turn into a link or a mention; the notice's own links are
 * explicit `<url|label>` strings, which Slack still renders in verbatim text.
 */
export function mrkdwn(text: string): TextObject {
  return { type: 'mrkdwn', text, verbatim: true };
}

export interface HeaderBlock {
  type: 'header';
  text: TextObject & { type: 'plain_text' };
}
export interface SectionBlock {
  type: 'section';
  text?: TextObject;
  fields?: TextObject[];
}
export interface ContextBlock {
  type: 'context';
  elements: TextObject[];
}
export interface ButtonElement {
  type: 'button';
  text: TextObject & { type: 'plain_text' };
  /** A link button; absent on an action button (Slack posts its click to the app's interactivity URL). */
  url?: string;
  action_id: string;
  /** An action button's payload, at most SLACK_LIMITS.buttonValue characters. */
  value?: string;
  style?: 'primary' | 'danger';
}
export interface ActionsBlock {
  type: 'actions';
  elements: ButtonElement[];
}
export interface DividerBlock {
  type: 'divider';
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock;

/** A Slack message: Block Kit plus the plain `text` shown in notifications and old clients. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: clampMrkdwn(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(clampMrkdwn(text, SLACK_LIMITS.sectionText)) };
}

/** A section of `*label*\nvalue` fields; empty values are left out, at most 10 fields. */
export function fields(entries: ReadonlyArray<readonly [label: string, value: string | undefined]>): SectionBlock | undefined {
  const present = entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1] !== '');
  if (present.length === 0) return undefined;
  return {
    type: 'section',
    fields: present.slice(0, SLACK_LIMITS.fields).map(([label, value]) => mrkdwn(clampMrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.fieldText))),
  };
}

export function context(...texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, SLACK_LIMITS.contextElements).map((text) => mrkdwn(clampMrkdwn(text, SLACK_LIMITS.sectionText))) };
}

/** Link buttons; a button whose URL is too long for Slack is left out. */
export function buttons(entries: ReadonlyArray<{ text: string; url: string | undefined; actionId: string }>): ActionsBlock | undefined {
  const elements: ButtonElement[] = [];
  for (const entry of entries) {
    const url = safeUrl(entry.url);
    if (url === undefined || url.length > SLACK_LIMITS.buttonUrl) continue;
    elements.push({
      type: 'button',
      text: { type: 'plain_text', text: clampMrkdwn(entry.text, SLACK_LIMITS.buttonText), emoji: true },
      url,
      action_id: entry.actionId,
    });
  }
  return elements.length > 0 ? { type: 'actions', elements } : undefined;
}

/** An action button (no URL): Slack posts its click, with `value`, to the app's interactivity Request URL. */
export function actionButton(text: string, actionId: string, value: string): ButtonElement | undefined {
  // Slack refuses a button whose value exceeds 2,000 characters (Block Kit reference: Button element).
  if (value.length > 2000) return undefined;
  return { type: 'button', text: { type: 'plain_text', text: clampMrkdwn(text, SLACK_LIMITS.buttonText), emoji: true }, action_id: actionId, value };
}

/** Assembles a message: drops absent blocks, keeps at most 50, clamps the fallback text. */
export function message(text: string, blocks: ReadonlyArray<Block | undefined>): SlackMessage {
  return {
    text: clampMrkdwn(text, SLACK_LIMITS.fallbackText),
    blocks: blocks.filter((block): block is Block => block !== undefined).slice(0, SLACK_LIMITS.blocks),
  };
}
