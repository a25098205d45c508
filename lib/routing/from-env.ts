import { ENV } from '../env.js';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../config/https.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_MERGE_REQUEST_ACTIONS, type RouteInput, type SlackSettings } from './schema.js';

/** The routing part of the config, as environment variables describe it (before validation). */
export interface RoutingFromEnv {
  slack?: SlackSettings;
  routes: RouteInput[];
}

/**
 * Zero-config routing: with no config file, environment variables make one route for every
 * project with GitLab's own defaults (failed pipelines on the default branch, notice on
 * recovery, merge requests opened/reopened/closed/merged/approved):
 * - `SLACK_CHANNEL` (+ `SLACK_API_URL`): post to that channel. The token comes from
 *   `SLACK_BOT_TOKEN` locally or the Slack secret in AWS; without one the local bridge prints.
 * - `TEAMS_WEBHOOK_URL`: post to that Workflows webhook (named `default`).
 *
 * @throws ConfigError when `SLACK_BOT_TOKEN` is set without a channel to post to.
 */
export function routingFromEnv(env: NodeJS.ProcessEnv): RoutingFromEnv {
  const channel = nonEmpty(env[ENV.slackChannel]);
  const apiUrl = nonEmpty(env[ENV.slackApiUrl]);
  const teamsUrl = nonEmpty(env[ENV.teamsWebhookUrl]);
  if (!channel && nonEmpty(env[ENV.slackBotToken])) {
    throw new ConfigError(
      `${ENV.slackBotToken} is set but ${ENV.slackChannel} is not: set ${ENV.slackChannel} to the channel to post to (an id like C0123456789, or #name)`,
    );
  }
  if (apiUrl && URL.canParse(apiUrl) && !isHttpsOrLoopback(apiUrl)) {
    throw new ConfigError(`${ENV.slackApiUrl}: ${JSON.stringify(apiUrl)} ${HTTPS_REQUIRED}`);
  }
  // A single URL (not the JSON map form); never echoed: its query string is the webhook's signature.
  if (teamsUrl && !teamsUrl.startsWith('{') && URL.canParse(teamsUrl) && !isHttpsOrLoopback(teamsUrl)) {
    throw new ConfigError(`${ENV.teamsWebhookUrl} ${HTTPS_REQUIRED}`);
  }
  const routing: RoutingFromEnv = { routes: [] };
  if (apiUrl) routing.slack = { apiUrl };
  if (!channel && !teamsUrl) return routing;
  routing.routes.push({
    name: 'zero-config',
    projects: ['**'],
    events: ['pipeline', 'merge_request'],
    branches: 'default',
    ...(channel ? { slack: { channel } } : {}),
    ...(teamsUrl ? { teams: { webhook: 'default' } } : {}),
    options: {
      notifyOnlyBrokenPipelines: true,
      notifyOnRecovery: true,
      mergeRequestActions: [...DEFAULT_MERGE_REQUEST_ACTIONS],
      skipDraftMergeRequests: false,
    },
  });
  return routing;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
