import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynalite } from '../../lib/local/dynalite-server.js';
import { startSqsServer } from '../../lib/local/sqs-server.js';
import { synthesizeBundledAssembly, type BundledAssembly } from '../cdk/support/bundled-assembly.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one dynalite; each test file makes its own table (test/support/local-aws.ts). */
    dynamoEndpoint: string;
    /** The run's one local SQS; each test file makes its own queues (test/support/local-aws.ts). */
    sqsEndpoint: string;
    /** The stack synthesized once, with esbuild bundling, for test/cdk/* (test/cdk/support/synth.ts). */
    cdkAssembly: BundledAssembly;
  }
}

/**
 * Shared, slow-to-build fixtures for the whole run, made once instead of once per test file:
 * one dynalite, one local SQS, and the CDK synth with bundling (esbuild for both functions,
 * the single biggest setup cost of the suite).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, sqs] = await Promise.all([startDynalite(), startSqsServer()]);
  const dir = mkdtempSync(join(tmpdir(), 'bridge-test-run-'));
  const configPath = join(dir, 'bridge.config.json');
  writeFileSync(configPath, JSON.stringify({ routes: [] }, null, 2));
  const cdkAssembly = synthesizeBundledAssembly(join(dir, 'cdk.out'), configPath);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  project.provide('cdkAssembly', cdkAssembly);
  return async () => {
    sqs.server.closeAllConnections();
    await Promise.all([dynamo.close(), new Promise<void>((resolve) => sqs.server.close(() => resolve()))]);
    rmSync(dir, { recursive: true, force: true });
  };
}
