/**
 * The bridge under test for `npm run bench:reliability`: what `npm start` runs (lib/local/main.ts),
 * in its own process so the bench's clients do not share its event loop, with the bench's
 * settings. Reads its settings as JSON from BENCH_BRIDGE (see BridgeSettings), prints one JSON line
 * with the endpoints once it listens, and stops cleanly on SIGTERM.
 */
import { resolveConfig } from '../lib/config/resolve.js';
import { startLocalBridge, type LocalBridgeOptions } from '../lib/local/bridge.js';
import { readLocalWebhookAuth } from '../lib/local/webhook-auth-setting.js';
import { credentialsFromEnv } from '../lib/secrets/credentials.js';

/** What bench/reliability.ts passes in BENCH_BRIDGE. */
export interface BridgeSettings {
  dataDir: string;
  tokens: string[];
  /**
   * The full GitLab webhook auth document (per-project entries), as GITLAB_WEBHOOK_AUTH holds it,
   * read the way `npm start` reads that variable.
   */
  webhookAuth?: string;
  /** Environment variables for the zero-config routes and credentials (SLACK_*, TEAMS_*, JIRA_*). */
  env: Record<string, string>;
  retryDelaySeconds: number;
  maxAttempts: number;
}

const settings = JSON.parse(process.env.BENCH_BRIDGE ?? '{}') as BridgeSettings;
const errors = (message: string, extra?: Record<string, unknown>) =>
  process.stderr.write(`[bridge] ERROR ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}\n`);

const options: LocalBridgeOptions = {
  port: 0,
  dataDir: settings.dataDir,
  tokens: settings.tokens,
  ...(settings.webhookAuth ? { auth: readLocalWebhookAuth(settings.webhookAuth) } : {}),
  config: resolveConfig(settings.env),
  credentials: credentialsFromEnv(settings.env),
  print: () => {},
  log: { info: () => {}, warn: () => {}, error: errors },
  retryDelaySeconds: settings.retryDelaySeconds,
  maxAttempts: settings.maxAttempts,
};
const bridge = await startLocalBridge(options);
process.stdout.write(
  `${JSON.stringify({
    webhookUrl: bridge.webhookUrl,
    dynamoEndpoint: bridge.dynamoEndpoint,
    sqsEndpoint: bridge.sqsEndpoint,
    tableName: bridge.tableName,
    queueUrl: bridge.queueUrl,
    dlqUrl: bridge.dlqUrl,
  })}\n`,
);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void bridge.stop().then(() => process.exit(0));
});
