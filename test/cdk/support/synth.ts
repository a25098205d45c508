import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import type { BundledAssembly } from './bundled-assembly.js';
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

/**
 * The run's bundled synth (esbuild runs once per run, not once per file), read from its cloud
 * assembly, with a construct tree of the same app built here (not synthesized, not bundled) so
 * tests can name resources by construct: logical ids depend on construct paths only. `outdir`
 * is shared by the run: read it, never write to it.
 */
export function bundledBridge(): SynthesizedBridge & Pick<BundledAssembly, 'configPath'> {
  const { outdir, configPath, templateFile } = inject('cdkAssembly');
  const treeDir = mkdtempSync(join(tmpdir(), 'bridge-cdk-tree-'));
  const bridge = createBridgeApp({ outdir: treeDir, context: { config: configPath, 'aws:cdk:bundling-stacks': [] } });
  if (bridge.stack.templateFile !== templateFile) throw new Error(`the run synthesized ${templateFile}, this app names ${bridge.stack.templateFile}`);
  const json = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as TemplateJson;
  return {
    ...bridge,
    outdir,
    configPath,
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
