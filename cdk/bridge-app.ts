import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GitLabBridgeStack } from './bridge-stack.js';
import { readBridgeSettings, type BridgeSettings } from './settings.js';

/**
 * Context the app always runs with, in code rather than only in cdk.json so the tests
 * synthesize exactly what `cdk synth` does. cdk.json and `-c` still override them.
 */
export const BRIDGE_APP_CONTEXT = {
  // aws-cdk-lib's built-in CloudFormation template validation reports its findings as warnings
  // unless this flag is set; with it, a finding fails synth like a cdk-nag error does.
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  // One statement per action set instead of one per grant call: smaller, readable policies.
  '@aws-cdk/aws-iam:minimizePolicies': true,
} as const;

export interface BridgeApp {
  app: App;
  stack: GitLabBridgeStack;
  settings: BridgeSettings;
}

/**
 * Builds the app: reads the settings from context (validating the routing config), adds the
 * stack, and registers cdk-nag's AWS Solutions pack, which runs on every synth and fails it on
 * any unacknowledged error. Acknowledgments are copied into the template's resource Metadata
 * (`cdk_nag.rules_to_suppress`) so an auditor reads each one, with its reason, in the template.
 */
export function createBridgeApp(props: AppProps = {}): BridgeApp {
  const app = new App({ ...props, context: { ...BRIDGE_APP_CONTEXT, ...props.context } });
  const settings = readBridgeSettings(app.node);
  const stack = new GitLabBridgeStack(app, settings.stackName, { settings, stackName: settings.stackName });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
  return { app, stack, settings };
}
