import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynalite } from '../../lib/local/dynalite-server.js';
import { startSqsServer } from '../../lib/local/sqs-server.js';
import type { SharedSynth } from '../cdk/support/synth.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one dynalite; each test file makes its own table (test/support/local-aws.ts). */
    dynamoEndpoint: string;
    /** The run's one local SQS; each test file makes its own queues (test/support/local-aws.ts). */
    sqsEndpoint: string;
    /** Where test/cdk/* share one bundled synth of the stack (test/cdk/support/synth.ts). */
    cdkSynth: SharedSynth;
  }
}

/**
 * Shared, slow-to-build fixtures for the whole run, made once instead of once per test file:
 * one dynalite, one local SQS, and a directory for the CDK synth with bundling (esbuild for both
 * functions, the biggest setup cost in the suite), which the first test/cdk file to need it makes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, sqs] = await Promise.all([startDynalite(), startSqsServer()]);
  const dir = mkdtempSync(join(tmpdir(), 'bridge-test-run-'));
  const configPath = join(dir, 'bridge.config.json');
  writeFileSync(configPath, JSON.stringify({ routes: [] }, null, 2));
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  project.provide('cdkSynth', { dir, configPath });
  // Watch mode: cdk/ or lib/ may have changed since the last synth; the next test/cdk file makes a new one.
  project.onTestsRerun(() => {
    for (const name of ['synth.lock', 'assembly.json', 'assembly-error.txt', 'cdk.out']) rmSync(join(dir, name), { recursive: true, force: true });
  });
  return async () => {
    sqs.server.closeAllConnections();
    await Promise.all([dynamo.close(), new Promise<void>((resolve) => sqs.server.close(() => resolve()))]);
    rmSync(dir, { recursive: true, force: true });
  };
}
