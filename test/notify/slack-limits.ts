import { expect } from 'vitest';

type Json = Record<string, unknown>;

/**
 * Asserts a Slack message stays inside Block Kit's documented limits: 50 blocks, section text
 * 3000, fields 10 x 2000, header 150, button text 75, context 10 elements; a fallback text set.
 * Every mrkdwn text object is `verbatim`, so Slack does not turn user text into links or mentions.
 */
export function expectWithinSlackLimits(params: Json): void {
  for (const object of textObjects(params)) {
    if (object.type === 'mrkdwn') expect(object).toMatchObject({ verbatim: true });
  }
  expect(typeof params.text).toBe('string');
  expect((params.text as string).length).toBeGreaterThan(0);
  expect((params.text as string).length).toBeLessThanOrEqual(3000);
  const blocks = params.blocks as Json[];
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const block of blocks) {
    const text = block.text as Json | undefined;
    if (block.type === 'header') expect((text?.text as string).length).toBeLessThanOrEqual(150);
    if (block.type === 'section') {
      if (text) expect((text.text as string).length).toBeLessThanOrEqual(3000);
      const fields = (block.fields as Json[] | undefined) ?? [];
      expect(fields.length).toBeLessThanOrEqual(10);
      for (const field of fields) expect((field.text as string).length).toBeLessThanOrEqual(2000);
    }
    if (block.type === 'context') expect((block.elements as Json[]).length).toBeLessThanOrEqual(10);
    if (block.type === 'actions') {
      for (const element of block.elements as Json[]) {
        expect(((element.text as Json).text as string).length).toBeLessThanOrEqual(75);
        expect((element.url as string).length).toBeLessThanOrEqual(3000);
      }
    }
  }
}

/** Every text a reader sees in a Slack message: fallback, block texts, fields, contexts, buttons. */
export function allSlackTexts(params: Json): string[] {
  const texts = [params.text as string];
  for (const block of params.blocks as Json[]) {
    const text = block.text as Json | undefined;
    if (text) texts.push(text.text as string);
    for (const field of (block.fields as Json[] | undefined) ?? []) texts.push(field.text as string);
    for (const element of (block.elements as Json[] | undefined) ?? []) {
      if (typeof element.text === 'string') texts.push(element.text);
      else if (element.text) texts.push((element.text as Json).text as string);
    }
  }
  return texts;
}

function textObjects(params: Json): Json[] {
  const objects: Json[] = [];
  for (const block of params.blocks as Json[]) {
    if (block.text) objects.push(block.text as Json);
    objects.push(...((block.fields as Json[] | undefined) ?? []));
    for (const element of (block.elements as Json[] | undefined) ?? [])
      if (typeof element.type === 'string' && element.type === 'mrkdwn') objects.push(element);
  }
  return objects;
}
