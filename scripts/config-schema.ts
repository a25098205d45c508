/**
 * Writes `bridge.config.schema.json`, the JSON Schema of `bridge.config.json`, generated from the
 * zod schema the bridge loads the file with (`lib/config/schema.ts`). Editors validate the config
 * against it when the file names it: `"$schema": "./bridge.config.schema.json"`.
 *
 * `npm run schema` rewrites the file; test/config/config-schema.test.ts fails when the committed
 * file differs from what this script would write, so it cannot go stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { z } from 'zod';
import { BridgeConfigSchema } from '../lib/config/schema.js';

export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../bridge.config.schema.json', import.meta.url));

/** The schema file's text, formatted as `prettier --check` expects it. */
export async function renderConfigSchema(): Promise<string> {
  // 'input': the shape a person writes, so keys with a default are optional. Refinements (a route
  // needs "slack" or "teams", https-only URLs, glob and regex checks) have no JSON Schema form;
  // the loader still applies them, with the key at fault in its message.
  const schema = z.toJSONSchema(BridgeConfigSchema, { io: 'input' });
  const document = {
    $schema: schema.$schema,
    title: 'gitlab-bridge config (bridge.config.json)',
    description: 'Generated from lib/config/schema.ts by `npm run schema`; do not edit by hand.',
    ...schema,
  };
  const options = await prettier.resolveConfig(CONFIG_SCHEMA_PATH);
  return prettier.format(JSON.stringify(document), { ...options, filepath: CONFIG_SCHEMA_PATH });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_SCHEMA_PATH, await renderConfigSchema());
  console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
}
