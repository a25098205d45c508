import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { BridgeConfigSchema, type BridgeConfig } from './schema.js';

/** Formats zod issues as `file: path.to.key message`, one per line. */
export function formatConfigIssues(source: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${source}: ${path || '(root)'} ${issue.message}${keys}`;
    })
    .join('\n');
}

/** Validates an already parsed config object. Throws ConfigError naming the bad keys. */
export function parseConfig(value: unknown, source = 'bridge.config.json'): BridgeConfig {
  const result = BridgeConfigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(formatConfigIssues(source, result.error.issues));
  return result.data;
}

/** Reads and validates a config file. */
export function loadConfigFile(path: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseConfig(value, path);
}
