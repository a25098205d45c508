import { createBridgeApp } from '../../../cdk/bridge-app.js';

/** Where the run's one bundled synth is (made by test/support/global-setup.ts). */
export interface BundledAssembly {
  outdir: string;
  /** The routing config (`{ "routes": [] }`) it was synthesized with, shipped in the worker bundle. */
  configPath: string;
  /** The stack's template file name inside `outdir`. */
  templateFile: string;
}

/** Synthesizes the bridge like `cdk synth`, esbuild bundling included, into `outdir`. */
export function synthesizeBundledAssembly(outdir: string, configPath: string): BundledAssembly {
  const bridge = createBridgeApp({ outdir, context: { config: configPath } });
  bridge.app.synth();
  return { outdir, configPath, templateFile: bridge.stack.templateFile };
}
