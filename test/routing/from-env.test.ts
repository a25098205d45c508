import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { resolveConfig } from '../../lib/config/resolve.js';
import { routingFromEnv } from '../../lib/routing/from-env.js';

describe('routingFromEnv (zero-config)', () => {
  it('no variables: no routes', () => {
    expect(routingFromEnv({})).toEqual({ routes: [] });
  });

  it('SLACK_CHANNEL: one route for every project with GitLab’s defaults', () => {
    const config = parseConfig(routingFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CHANNEL: ' C0123 ' }), 'environment');
    expect(config.slack).toBeUndefined();
    expect(config.routes).toEqual([
      {
        name: 'zero-config',
        projects: ['**'],
        events: ['pipeline', 'merge_request'],
        branches: 'default',
        slack: { channel: 'C0123' },
        options: {
          notifyOnlyBrokenPipelines: true,
          notifyOnRecovery: true,
          mergeRequestActions: ['opened', 'reopened', 'closed', 'merged', 'approved'],
          skipDraftMergeRequests: false,
        },
      },
    ]);
  });

  it('SLACK_API_URL sets the Slack base URL', () => {
    expect(routingFromEnv({ SLACK_CHANNEL: '#ci', SLACK_API_URL: 'https://slack-gov.com/api/' }).slack).toEqual({ apiUrl: 'https://slack-gov.com/api/' });
  });

  it('TEAMS_WEBHOOK_URL: posts to the webhook named default, never copying the URL into the config', () => {
    const routing = routingFromEnv({ TEAMS_WEBHOOK_URL: 'https://prod.example/workflows/1?sig=secret' });
    expect(routing.routes[0]).toMatchObject({ teams: { webhook: 'default' } });
    expect(routing.routes[0]?.slack).toBeUndefined();
    expect(JSON.stringify(routing)).not.toContain('sig=secret');
  });

  it('both: one route to both', () => {
    const routing = routingFromEnv({ SLACK_CHANNEL: 'C1', TEAMS_WEBHOOK_URL: 'https://x.example/y' });
    expect(routing.routes).toHaveLength(1);
    expect(routing.routes[0]).toMatchObject({ slack: { channel: 'C1' }, teams: { webhook: 'default' } });
  });

  it('a bot token without a channel is a config error naming the variable', () => {
    expect(() => routingFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow('SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not');
  });

  it('resolveConfig uses it when no BRIDGE_CONFIG is set', () => {
    const config = resolveConfig({ SLACK_CHANNEL: 'C9' });
    expect(config.routes[0]?.slack).toEqual({ channel: 'C9' });
  });
});
