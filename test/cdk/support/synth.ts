import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import { createBridgeApp, type BridgeApp } from '../../../cdk/bridge-app.js';

export interface SynthesizedBridge extends BridgeApp {
  outdir: string;
  template: Template;
  /** The template as plain JSON, for scans over the whole document. */
  json: TemplateJson;
  /** The validation report aws-cdk-lib wrote for this synth (cdk-nag + CloudFormation Validate). */
  validationReport: ValidationReport;
  cleanup(): void;
}

export interface TemplateJson {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
  >;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface ValidationReport {
  pluginReports: Array<{ pluginName: string; conclusion: string; violations: Array<{ ruleName: string; severity: string; description: string }> }>;
}

/**
 * Synthesizes the bridge app like `cdk synth` does, into a fresh directory. `bundle: false`
 * skips esbuild (context aws:cdk:bundling-stacks = []) for tests that only read the template.
 */
export function synthBridge(context: Record<string, unknown>, options: { bundle: boolean }): SynthesizedBridge {
  const outdir = mkdtempSync(join(tmpdir(), 'bridge-cdk-'));
  const bridge = createBridgeApp({ outdir, context: { ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) } });
  bridge.app.synth();
  const template = Template.fromStack(bridge.stack);
  return {
    ...bridge,
    outdir,
    template,
    json: template.toJSON() as TemplateJson,
    validationReport: JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Where test files share the run's one bundled synth (a directory test/support/global-setup.ts makes). */
export interface SharedSynth {
  dir: string;
  /** The routing config (`{ "routes": [] }`) the stack is synthesized with, shipped in the worker bundle. */
  configPath: string;
}

interface BundledAssembly {
  outdir: string;
  templateFile: string;
}

/**
 * The run's one bundled synth (esbuild for both functions is the slowest setup in the suite):
 * the first test file to ask synthesizes it into the run's directory, holding a lock directory
 * (mkdir is atomic across the worker processes); the others wait for its result file. A run
 * with no test/cdk file synthesizes nothing.
 */
async function sharedAssembly({ dir, configPath }: SharedSynth): Promise<BundledAssembly> {
  const result = join(dir, 'assembly.json');
  const failure = join(dir, 'assembly-error.txt');
  let owner = true;
  try {
    mkdirSync(join(dir, 'synth.lock'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    owner = false;
  }
  if (owner) {
    try {
      const outdir = join(dir, 'cdk.out');
      const bridge = createBridgeApp({ outdir, context: { config: configPath } });
      bridge.app.synth();
      const assembly: BundledAssembly = { outdir, templateFile: bridge.stack.templateFile };
      writeFileSync(`${result}.tmp`, JSON.stringify(assembly));
      renameSync(`${result}.tmp`, result);
      return assembly;
    } catch (error) {
      writeFileSync(failure, (error as Error).stack ?? String(error));
      throw error;
    }
  }
  for (;;) {
    if (existsSync(result)) return JSON.parse(readFileSync(result, 'utf8')) as BundledAssembly;
    if (existsSync(failure)) throw new Error(`the run's bundled synth failed in another test file:\n${readFileSync(failure, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The stack as `cdk synth` makes it, esbuild bundling included, synthesized once per run
 * (sharedAssembly) and read from its cloud assembly, with a construct tree of the same app
 * built here (not synthesized, not bundled) so tests can name resources by construct: logical
 * ids depend on construct paths only. `outdir` is shared by the run: read it, never write to it.
 */
export async function bundledBridge(): Promise<SynthesizedBridge & Pick<SharedSynth, 'configPath'>> {
  const shared = inject('cdkSynth');
  const { outdir, templateFile } = await sharedAssembly(shared);
  const treeDir = mkdtempSync(join(tmpdir(), 'bridge-cdk-tree-'));
  const bridge = createBridgeApp({ outdir: treeDir, context: { config: shared.configPath, 'aws:cdk:bundling-stacks': [] } });
  if (bridge.stack.templateFile !== templateFile) throw new Error(`the run synthesized ${templateFile}, this app names ${bridge.stack.templateFile}`);
  const json = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as TemplateJson;
  return {
    ...bridge,
    outdir,
    configPath: shared.configPath,
    template: Template.fromJSON(json as unknown as Record<string, unknown>),
    json,
    validationReport: JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport,
    cleanup: () => rmSync(treeDir, { recursive: true, force: true }),
  };
}

/** Resources of one type, by logical id. */
export function resourcesOfType(json: TemplateJson, type: string): [string, NonNullable<TemplateJson['Resources'][string]>][] {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of a type; throws when there is not exactly one. */
export function onlyResource(json: TemplateJson, type: string): { Properties: Record<string, unknown> } & TemplateJson['Resources'][string] {
  const found = resourcesOfType(json, type);
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type}, found ${found.length}`);
  const [, resource] = found[0];
  return { ...resource, Properties: resource.Properties ?? {} };
}
