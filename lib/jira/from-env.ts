import { ENV } from '../env.js';
import { ConfigError } from '../errors.js';
import type { JiraConfigInput } from './config.js';
import { PROJECT_KEY_PATTERN } from './issue-keys.js';

/**
 * Zero-config Jira: with no config file, JIRA_HOST turns Jira on with the conservative
 * defaults (closing keywords -> "Done", Smart Commits on, default branch only). The credential
 * kind follows the variables set: JIRA_BEARER_TOKEN means bearer, otherwise JIRA_EMAIL +
 * JIRA_API_TOKEN (read by lib/secrets, never copied into the config). JIRA_PROJECT_KEYS is an
 * optional comma-separated allowlist (`ABC,OPS`).
 *
 * @returns the `jira` config section, or undefined when JIRA_HOST is not set.
 */
export function jiraConfigFromEnv(env: NodeJS.ProcessEnv): JiraConfigInput | undefined {
  const host = env[ENV.jiraHost]?.trim();
  if (!host) return undefined;
  const config: JiraConfigInput = { host, auth: env[ENV.jiraBearerToken]?.trim() ? 'bearer' : 'basic' };
  const keys = env[ENV.jiraProjectKeys]
    ?.split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (keys && keys.length > 0) {
    const bad = keys.filter((key) => !PROJECT_KEY_PATTERN.test(key));
    if (bad.length > 0) {
      throw new ConfigError(`${ENV.jiraProjectKeys}: ${bad.map((key) => `"${key}"`).join(', ')} is not a Jira project key (an uppercase letter, then uppercase letters, digits or _)`);
    }
    config.projectKeys = [...new Set(keys)];
  }
  return config;
}
