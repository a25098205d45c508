/**
 * CDK entry (cdk.json: `npx tsx cdk/app.ts`). Settings come from context, e.g.
 * `npx cdk deploy -c config=bridge.config.json -c alarmEmail=ops@example.com` (docs/deploy.md).
 */
import { ConfigError } from '../lib/errors.js';
import { createBridgeApp } from './bridge-app.js';

try {
  createBridgeApp().app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    // The message names the file, key or flag to fix; a stack trace would only bury it.
    console.error(`gitlab-bridge: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
