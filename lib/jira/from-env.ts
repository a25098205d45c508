import { ENV } from '../env.js';
import { splitCommaList } from '../config/comma-list.js';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../config/https.js';
import { ConfigError } from '../errors.js';
import { isRestApiUrl, type JiraConfigInput } from './config.js';
import { PROJECT_KEY_PATTERN } from './issue-keys.js';

/**
 * Zero-config Jira: with no config file, JIRA_HOST turns Jira on with the conservative
 * defaults (closing keywords -> "Done", Smart Commits on, default branch only). The credential
 * kind follows the variables set: JIRA_BEARER_TOKEN means bearer (and Jira Data Center unless
 * the host is `*.atlassian.net`), otherwise JIRA_EMAIL + JIRA_API_TOKEN (read by lib/secrets,
 * never copied into the config). JIRA_PROJECT_KEYS is an optional comma-separated allowlist
 * (`ABC,OPS`).
 *
 * @returns the `jira` config section, or undefined when JIRA_HOST is not set.
 */
export function jiraConfigFromEnv(env: NodeJS.ProcessEnv): JiraConfigInput | undefined {
  const host = env[ENV.jiraHost]?.trim();
  if (!host) return undefined;
  // Checked here as well as by the config schema, so the message names the variable to fix.
  if (!URL.canParse(host) || !/^https?:$/.test(new URL(host).protocol) || isRestApiUrl(host)) {
    throw new ConfigError(`${ENV.jiraHost}: ${JSON.stringify(host)} is not the Jira site URL; set it like https://acme.atlassian.net`);
  }
  if (!isHttpsOrLoopback(host)) throw new ConfigError(`${ENV.jiraHost}: ${JSON.stringify(host)} ${HTTPS_REQUIRED}`);
  const bearer = Boolean(env[ENV.jiraBearerToken]?.trim());
  const config: JiraConfigInput = { host, auth: bearer ? 'bearer' : 'basic' };
  // A bearer token on a site that is not Atlassian's cloud is a Data Center personal access
  // token; Data Center has no REST v3.
  if (bearer && !isAtlassianCloud(host)) config.deployment = 'datacenter';
  const keys = splitCommaList(env[ENV.jiraProjectKeys]);
  if (keys.length > 0) {
    const bad = keys.filter((key) => !PROJECT_KEY_PATTERN.test(key));
    if (bad.length > 0) {
      throw new ConfigError(
        `${ENV.jiraProjectKeys}: ${bad.map((key) => `"${key}"`).join(', ')} is not a Jira project key (an uppercase letter, then uppercase letters, digits or _)`,
      );
    }
    config.projectKeys = [...new Set(keys)];
  }
  return config;
}

function isAtlassianCloud(host: string): boolean {
  try {
    const hostname = new URL(host).hostname;
    return hostname.endsWith('.atlassian.net') || hostname === 'api.atlassian.com';
  } catch {
    return false;
  }
}
