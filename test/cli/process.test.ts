import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startTestTable } from '../support/local-aws.js';
import { seed } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/gitlab-bridge.js', import.meta.url));

/** Runs the installed entry point as a real process, with only the environment given. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // No ~/.aws, no instance metadata: nothing outside the test's own servers is consulted.
  const home = mkdtempSync(join(tmpdir(), 'gitlab-bridge-cli-'));
  const baseEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...baseEnv, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('bin/gitlab-bridge.js as a process', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let id: string;

  beforeAll(async () => {
    table = await startTestTable('cli-process');
    id = (await seed(new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName }), 'done')).id;
  });

  afterAll(async () => {
    await table?.close();
  });

  it('prints help and the version', async () => {
    const help = await run(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gitlab-bridge \[options\] \[command\]/);
    for (const command of ['deliveries', 'dlq', 'gitlab', 'send-sample']) expect(help.stdout).toContain(`  ${command}`);
    const version = await run(['--version'], {});
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists deliveries from dynalite through the AWS SDK endpoint variable', async () => {
    const result = await run(['deliveries', 'list', '--json'], { AWS_ENDPOINT_URL_DYNAMODB: table.endpoint, BRIDGE_TABLE_NAME: table.tableName });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { items: { id: string; status: string }[] }).items).toEqual([expect.objectContaining({ id, status: 'done' })]);
  });

  it('exits 4 with one line when there are no AWS credentials', async () => {
    const result = await run(['deliveries', 'list', '--table', 'gitlab-bridge'], { AWS_REGION: 'eu-west-1' });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      'gitlab-bridge: no AWS credentials found; set AWS_PROFILE (or run `aws sso login`), or point at the local bridge with the AWS_ENDPOINT_URL_* values `npm start` prints\n',
    );
  });

  it('exits 2 on a bad flag', async () => {
    const result = await run(['deliveries', 'list', '--limit', 'lots'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "gitlab-bridge: option '-n, --limit <n>' argument 'lots' is invalid. --limit must be a positive whole number; add --help for usage\n",
    );
  });

  it.each([
    [['deliveries', 'show'], "gitlab-bridge: missing required argument 'id'; add --help for usage\n"],
    [['delivery', 'list'], "gitlab-bridge: unknown command 'delivery' (Did you mean deliveries?); add --help for usage\n"],
  ])('reports usage error %j on one line', async (args, line) => {
    const result = await run(args, {});
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(line);
  });
});
