import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { BridgeConfigSchema } from '../../lib/config/schema.js';
import { CONFIG_SCHEMA_PATH, renderConfigSchema } from '../../scripts/config-schema.js';
import { codeBlocks, docFiles, readDoc } from '../docs/markdown.js';

/** A ```json block is a config example when it is an object holding config keys (secrets' JSON is not). */
const CONFIG_KEYS = ['$schema', 'routes', 'jira', 'slack'];

const jsonBlocks = docFiles().flatMap((file) =>
  codeBlocks(readDoc(file))
    .filter((block) => block.lang === 'json')
    .map((block) => ({ where: `${file}:${block.line}`, text: block.text })),
);

describe('bridge.config.schema.json', () => {
  it('is what `npm run schema` writes from the zod schema (run it and commit the file)', async () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')).toBe(await renderConfigSchema());
  });

  it('describes every top-level key of the config, refuses others, and lets the file name it in $schema', () => {
    const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(BridgeConfigSchema.shape).sort());
    expect(schema.additionalProperties).toBe(false);
    expect(parseConfig({ $schema: './bridge.config.schema.json' }).routes).toEqual([]);
  });
});

describe('JSON examples in the docs', () => {
  it('finds the examples (README.md, CONTRIBUTING.md, docs/)', () => {
    expect(jsonBlocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(jsonBlocks)('$where is valid JSON', ({ text }) => {
    expect(() => JSON.parse(text)).not.toThrow();
  });

  const configExamples = jsonBlocks.filter(({ text }) => {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) && CONFIG_KEYS.some((key) => key in value);
  });

  it('finds the config examples', () => {
    expect(configExamples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(configExamples)('$where is a config the bridge loads', ({ where, text }) => {
    expect(() => parseConfig(JSON.parse(text), where)).not.toThrow();
  });
});
