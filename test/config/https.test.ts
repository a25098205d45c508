import { describe, expect, it } from 'vitest';
import { isHttpsOrLoopback } from '../../lib/config/https.js';
import { parseConfig } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/errors.js';
import { jiraConfigFromEnv } from '../../lib/jira/from-env.js';
import { SlackSender } from '../../lib/notify/slack/slack-sender.js';
import { TeamsSender } from '../../lib/notify/teams/teams-sender.js';
import { routingFromEnv } from '../../lib/routing/from-env.js';

const SIGNED_TEAMS_URL = 'http://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRETSIG';

describe('isHttpsOrLoopback', () => {
  it.each([
    ['https://acme.atlassian.net', true],
    ['https://slack.com/api/', true],
    ['http://127.0.0.1:8080', true],
    ['http://127.9.9.9', true],
    ['http://localhost:3000/api/', true],
    ['http://[::1]:4000', true],
    ['http://acme.atlassian.net', false],
    ['http://10.0.0.5:8080', false],
    ['http://localhost.evil.example', false],
    ['http://128.0.0.1', false],
    ['ftp://127.0.0.1', false],
    ['not a url', false],
  ])('%s -> %s', (url, expected) => {
    expect(isHttpsOrLoopback(url)).toBe(expected);
  });
});

describe('https is required for Jira, the Slack API and Teams webhooks outside loopback', () => {
  it('bridge.config.json: jira.host over http is refused, naming the key', () => {
    expect(() => parseConfig({ jira: { host: 'http://jira.example.com' } })).toThrow(/^bridge\.config\.json: jira\.host must use https/);
    expect(parseConfig({ jira: { host: 'http://127.0.0.1:8080' } }).jira?.host).toBe('http://127.0.0.1:8080');
  });

  it('JIRA_HOST over http is refused, naming the variable', () => {
    expect(() => jiraConfigFromEnv({ JIRA_HOST: 'http://jira.intranet.example' })).toThrow(ConfigError);
    expect(() => jiraConfigFromEnv({ JIRA_HOST: 'http://jira.intranet.example' })).toThrow(/^JIRA_HOST: "http:\/\/jira\.intranet\.example" must use https/);
    expect(jiraConfigFromEnv({ JIRA_HOST: 'http://localhost:8080' })?.host).toBe('http://localhost:8080');
  });

  it('bridge.config.json: slack.apiUrl over http is refused, naming the key', () => {
    expect(() => parseConfig({ slack: { apiUrl: 'http://slack.example.com/api/' } })).toThrow(/^bridge\.config\.json: slack\.apiUrl must use https/);
  });

  it('SLACK_API_URL over http is refused, naming the variable', () => {
    expect(() => routingFromEnv({ SLACK_CHANNEL: 'C1', SLACK_API_URL: 'http://slack.example.com/api/' })).toThrow(/^SLACK_API_URL: .* must use https/);
    expect(routingFromEnv({ SLACK_CHANNEL: 'C1', SLACK_API_URL: 'http://127.0.0.1:9999/api/' }).slack?.apiUrl).toBe('http://127.0.0.1:9999/api/');
  });

  it('TEAMS_WEBHOOK_URL over http is refused, naming the variable and never the signed URL', () => {
    expect(() => routingFromEnv({ TEAMS_WEBHOOK_URL: SIGNED_TEAMS_URL })).toThrow(/^TEAMS_WEBHOOK_URL must use https/);
    expect(() => routingFromEnv({ TEAMS_WEBHOOK_URL: SIGNED_TEAMS_URL })).not.toThrow(/SECRETSIG|logic\.azure/);
  });

  it('SlackSender refuses an http API URL outside loopback', () => {
    expect(() => new SlackSender('xoxb-test', { apiUrl: 'http://slack.example.com/api/' })).toThrow(ConfigError);
    expect(() => new SlackSender('xoxb-test', { apiUrl: 'http://127.0.0.1:9999/api/' })).not.toThrow();
  });

  it('TeamsSender refuses an http webhook URL (from the Teams secret) before sending, without quoting it', async () => {
    const error = await new TeamsSender().post('platform', SIGNED_TEAMS_URL, { type: 'message', attachments: [] } as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Teams webhook "platform": its URL must use https/);
    expect((error as Error).message).not.toMatch(/SECRETSIG|logic\.azure/);
  });
});
