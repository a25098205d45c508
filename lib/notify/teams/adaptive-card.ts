/**
 * The Adaptive Card 1.5 pieces the Teams notices use, and the envelope a Teams Workflows
 * webhook ("When a Teams webhook request is received") expects. Teams refuses messages over
 * about 28 KB, so a card is measured as serialized JSON and shrunk when needed.
 */
import { safeUrl } from '../../gitlab/links.js';

export const ADAPTIVE_CARD_VERSION = '1.5';
/** Teams' message size limit is ~28 KB; the whole webhook body stays under it. */
export const TEAMS_MAX_BYTES = 28 * 1024;

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap: true;
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  weight?: 'Default' | 'Bolder';
  color?: 'Default' | 'Good' | 'Attention' | 'Warning' | 'Accent';
  isSubtle?: boolean;
  spacing?: 'None' | 'Small' | 'Medium';
  /** `Monospace` for log text (Teams' CodeBlock element is not in Adaptive Cards 1.5). */
  fontType?: 'Default' | 'Monospace';
}

export interface FactSet {
  type: 'FactSet';
  facts: Array<{ title: string; value: string }>;
}

export interface Container {
  type: 'Container';
  style?: 'default' | 'good' | 'attention' | 'warning' | 'accent' | 'emphasis';
  items: CardElement[];
}

export type CardElement = TextBlock | FactSet | Container;

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

/** A button that unfolds a card inside the card (Adaptive Cards 1.0+). */
export interface ShowCardAction {
  type: 'Action.ShowCard';
  title: string;
  card: { type: 'AdaptiveCard'; body: CardElement[] };
}

export type CardAction = OpenUrlAction | ShowCardAction;

/**
 * A Teams mention: the card's text shows `text` (`<at>Name</at>`) and Teams links it to
 * `mentioned.id`, a UPN or Microsoft Entra object id (Teams docs, "Mention support within
 * Adaptive Cards"). Text outside Teams ignores `msteams`.
 */
export interface MentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

/** The `<at>` text and entity for a mention; the name has no `<`/`>` (it sits inside `<at>`). */
export function mention(id: string, name: string): MentionEntity {
  const clean = name.replace(/[<>]/g, '').trim().slice(0, 100) || id;
  return { type: 'mention', text: `<at>${clean}</at>`, mentioned: { id, name: clean } };
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  version: typeof ADAPTIVE_CARD_VERSION;
  /** Teams renders the card across the full message width. */
  msteams: { width: 'Full'; entities?: MentionEntity[] };
  body: CardElement[];
  actions?: CardAction[];
}

/** The Workflows webhook body: one message with the card as its only attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }>;
}

export function card(
  body: ReadonlyArray<CardElement | undefined>,
  actions: ReadonlyArray<CardAction | undefined> = [],
  mentions: readonly MentionEntity[] = [],
): AdaptiveCard {
  const present = actions.filter((action): action is CardAction => action !== undefined);
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: ADAPTIVE_CARD_VERSION,
    msteams: { width: 'Full', ...(mentions.length > 0 ? { entities: [...mentions] } : {}) },
    body: body.filter((element): element is CardElement => element !== undefined),
    ...(present.length > 0 ? { actions: present } : {}),
  };
}

export function textBlock(text: string, style: Omit<TextBlock, 'type' | 'text' | 'wrap'> = {}): TextBlock {
  return { type: 'TextBlock', text, wrap: true, ...style };
}

/** Facts with empty values left out; undefined when none remain. */
export function factSet(entries: ReadonlyArray<readonly [title: string, value: string | undefined]>): FactSet | undefined {
  const facts = entries
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([title, value]) => ({ title, value }));
  return facts.length > 0 ? { type: 'FactSet', facts } : undefined;
}

/** A link button; only http(s) URLs (GitLab sends them, but the payload is still input). */
export function openUrl(title: string, url: string | undefined): OpenUrlAction | undefined {
  const safe = safeUrl(url);
  return safe ? { type: 'Action.OpenUrl', title, url: safe } : undefined;
}

export function teamsMessage(content: AdaptiveCard): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

export function messageBytes(message: TeamsMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

/**
 * Renders the richest card that fits Teams' size limit: `render(level)` is called with
 * increasing levels of shrinking (fewer details) until the message fits. The formatters bound
 * every string, so level 0 fits in practice; the loop is the guarantee.
 */
export function fitMessage(render: (level: number) => AdaptiveCard, levels = 3): TeamsMessage {
  let message = teamsMessage(render(0));
  for (let level = 1; level <= levels && messageBytes(message) > TEAMS_MAX_BYTES; level += 1) {
    message = teamsMessage(render(level));
  }
  return message;
}
