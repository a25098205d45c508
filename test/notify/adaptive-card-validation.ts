import { createRequire } from 'node:module';
import { expect } from 'vitest';

interface ParseEvent {
  message: string;
}
interface AdaptiveCardsModule {
  SerializationContext: new () => { eventCount: number; getEventAt(index: number): ParseEvent };
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: ParseEvent[] };
    version: { toString(): string };
  };
}

/** The adaptivecards UMD build (its ESM entry does not load in Node). */
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsModule;

/**
 * Asserts a Teams Workflows webhook body: one Adaptive Card attachment that the adaptivecards
 * library parses and validates with no events, at version 1.5, the whole body under 28 KB.
 * Returns the card JSON.
 */
export function expectValidTeamsMessage(body: unknown, raw?: string): Record<string, unknown> {
  const message = body as { type?: unknown; attachments?: Array<{ contentType?: unknown; content?: Record<string, unknown> }> };
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  const attachment = message.attachments![0]!;
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const content = attachment.content!;
  expect(content.type).toBe('AdaptiveCard');
  expect(content.version).toBe('1.5');

  const context = new AdaptiveCards.SerializationContext();
  const card = new AdaptiveCards.AdaptiveCard();
  card.parse(content, context);
  const parseEvents = Array.from({ length: context.eventCount }, (_, index) => context.getEventAt(index).message);
  expect(parseEvents).toEqual([]);
  expect(card.validateProperties().validationEvents.map((event) => event.message)).toEqual([]);
  expect(card.version.toString()).toBe('1.5');

  expect(Buffer.byteLength(raw ?? JSON.stringify(body), 'utf8')).toBeLessThan(28 * 1024);
  return content;
}

/** Every text in a card: TextBlocks, fact titles and values, action titles and URLs. */
export function cardTexts(content: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (element: Record<string, unknown>) => {
    if (typeof element.text === 'string') out.push(element.text);
    for (const fact of (element.facts as Array<{ title: string; value: string }> | undefined) ?? []) out.push(fact.title, fact.value);
    for (const item of (element.items as Array<Record<string, unknown>> | undefined) ?? []) walk(item);
  };
  for (const element of content.body as Array<Record<string, unknown>>) walk(element);
  for (const action of (content.actions as Array<{ title: string; url: string }> | undefined) ?? []) out.push(action.title, action.url);
  return out;
}
