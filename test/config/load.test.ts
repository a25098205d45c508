import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/errors.js';
import { ENV, intEnv, requireEnv } from '../../lib/env.js';

const dir = mkdtempSync(join(tmpdir(), 'config-'));

describe('config loading', () => {
  it('names an unknown top-level key', () => {
    expect(() => parseConfig({ routes: [], rotues: [] }, 'bridge.config.json')).toThrow(/bridge\.config\.json: \(root\) .*rotues/);
  });

  it('throws a ConfigError', () => {
    expect(() => parseConfig({ routes: 'all' })).toThrow(ConfigError);
  });

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "routes": [ }');
    expect(() => loadConfigFile(path)).toThrow(`${path}: not valid JSON`);
  });

  it('names the file when it is missing', () => {
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the config file \(ENOENT\)/);
  });

  it('accepts an empty config', () => {
    expect(parseConfig({}).routes).toEqual([]);
  });
});

describe('environment variables', () => {
  it('a missing required variable fails with its name', () => {
    expect(() => requireEnv(ENV.tableName, {})).toThrow('Missing environment variable BRIDGE_TABLE_NAME');
    expect(() => requireEnv(ENV.tableName, {})).toThrow(ConfigError);
  });
  it('reads integers and rejects junk', () => {
    expect(intEnv(ENV.retentionDays, 30, {})).toBe(30);
    expect(intEnv(ENV.retentionDays, 30, { BRIDGE_RETENTION_DAYS: '7' })).toBe(7);
    expect(() => intEnv(ENV.retentionDays, 30, { BRIDGE_RETENTION_DAYS: 'week' })).toThrow('BRIDGE_RETENTION_DAYS must be a positive integer, got "week"');
    expect(() => intEnv(ENV.retentionDays, 30, { BRIDGE_RETENTION_DAYS: 'week' })).toThrow(ConfigError);
  });
});
