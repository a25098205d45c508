import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lib/env.js';

/** `npm start` with the Retry button on: it names the Slack interactivity URL and counts the signing secrets. */
const dataDir = mkdtempSync(join(tmpdir(), 'bridge-main-interactions-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);
let child: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with interactions.retry.enabled', () => {
  it('prints the URL Slack posts clicks to and how many signing secrets it has, never their values', async () => {
    const config = join(dataDir, 'bridge.config.json');
    writeFileSync(config, JSON.stringify({ routes: [], interactions: { retry: { enabled: true } } }));
    const env: Record<string, string | undefined> = {
      ...process.env,
      [ENV.localPort]: String(port),
      [ENV.localDynamoPort]: String(port + 1),
      [ENV.localSqsPort]: String(port + 2),
      [ENV.localDataDir]: join(dataDir, 'data'),
      [ENV.configPath]: config,
      [ENV.slackSigningSecret]: 'first-signing-secret,second-signing-secret',
    };
    child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const end = Date.now() + 20_000;
    while (!output.includes('AWS_ENDPOINT_URL_SQS')) {
      if (Date.now() > end) throw new Error(`timed out; output so far:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(output).toContain(`slack clicks  http://127.0.0.1:${port}/slack/interactions   (2 signing secret(s))`);
    expect(output).not.toContain('signing-secret,');
    expect(output).not.toContain('first-signing-secret');
  }, 30_000);
});
