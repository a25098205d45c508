import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lib/env.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';

/** `npm start` as a user runs it: lib/local/main.ts in its own process, its terminal output read back. */
const dataDir = mkdtempSync(join(tmpdir(), 'bridge-main-'));
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

async function until(check: () => boolean, ms = 12_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start (lib/local/main.ts)', () => {
  it('names the demo channel and the variables to set, and prints no escape sequence a payload carries', async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      [ENV.localPort]: String(port),
      [ENV.localDynamoPort]: String(port + 1),
      [ENV.localSqsPort]: String(port + 2),
    };
    env[ENV.localDataDir] = dataDir;
    for (const name of [ENV.configPath, ENV.slackChannel, ENV.slackBotToken, ENV.teamsWebhookUrl, ENV.jiraHost, ENV.gitlabWebhookToken, ENV.gitlabWebhookAuth])
      delete env[name];
    child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await until(() => /webhook token (\S+)/.test(output) && output.includes('AWS_ENDPOINT_URL_SQS'));

    expect(output).toContain('#gitlab-bridge-demo');
    expect(output).toContain(`set ${ENV.slackChannel}, ${ENV.teamsWebhookUrl}`);
    expect(output).not.toContain('${ENV');

    const token = /webhook token (\S+)/.exec(output)?.[1] ?? '';
    const title = 'Fix \u001b]8;;https://evil.example\u0007login\u001b]8;;\u0007 \u001b[2J\u202eelif';
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, {
      method: 'POST',
      headers: gitlabHeaders('Merge Request Hook', token),
      body: JSON.stringify(mergeRequestEvent({ title })),
    });
    expect(response.status).toBe(202);
    await until(() => output.includes('login'));
    expect(output).toContain('Fix login');
    expect(output).not.toMatch(/[\u001b\u0007\u009b\u009d\u202e]/);
  }, 30_000);
});
