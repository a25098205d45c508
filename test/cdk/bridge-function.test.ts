import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyCommand } from '../../cdk/constructs/bridge-function.js';

const dir = mkdtempSync(join(tmpdir(), "bridge copy's "));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('copyCommand (the hook that ships the routing config into the bundle)', () => {
  it.runIf(process.platform !== 'win32')('copies a file whose path has spaces, quotes and $ through bash -c, as local bundling runs it', () => {
    const source = join(dir, "my 'team' $HOME config.json");
    const target = join(dir, 'out dir bridge.config.json');
    writeFileSync(source, '{"routes":[]}');
    execFileSync('bash', ['-c', copyCommand(source, target)]);
    expect(readFileSync(target, 'utf8')).toBe('{"routes":[]}');
  });

  it('uses copy with double quotes on Windows', () => {
    expect(copyCommand('C:\\a b\\c.json', 'C:\\out\\bridge.config.json', 'win32')).toBe('copy /Y "C:\\a b\\c.json" "C:\\out\\bridge.config.json"');
  });
});
