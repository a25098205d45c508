import { ENV } from '../env.js';
import { jiraConfigFromEnv } from '../jira/from-env.js';
import { routingFromEnv } from '../routing/from-env.js';
import { loadConfigFile, parseConfig } from './load.js';
import type { BridgeConfig } from './schema.js';

/**
 * The config the worker runs with: the file named by BRIDGE_CONFIG when set, otherwise the
 * zero-config defaults built from environment variables (SLACK_CHANNEL, TEAMS_WEBHOOK_URL,
 * JIRA_HOST... see docs/notices.md and docs/jira.md).
 */
export function resolveConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const path = env[ENV.configPath];
  if (path) return loadConfigFile(path);
  const routing = routingFromEnv(env);
  const jira = jiraConfigFromEnv(env);
  return parseConfig({ ...routing, ...(jira ? { jira } : {}) }, 'environment');
}
