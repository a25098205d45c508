import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { resolveConfig } from '../../lib/config/resolve.js';
import { ConfigError } from '../../lib/errors.js';
import { JiraConfigSchema } from '../../lib/jira/config.js';
import { jiraConfigFromEnv } from '../../lib/jira/from-env.js';

describe('jira config section', () => {
  it('applies conservative defaults: default branch, keywords and smart commits, no MR moves, no mention comments', () => {
    expect(JiraConfigSchema.parse({ host: 'https://acme.atlassian.net' })).toEqual({
      host: 'https://acme.atlassian.net',
      auth: 'basic',
      deployment: 'cloud',
      branches: 'default',
      transitions: { close: 'Done', review: 'In Review' },
      smartCommits: true,
      closingKeywords: true,
      commentOnMention: false,
      mergeRequests: { onOpen: 'none', onMerge: 'none' },
      skipMergeCommits: true,
      ignoreUsers: [],
      echoJira: true,
    });
  });

  it('accepts transitions by name, by several names and by ids', () => {
    const config = JiraConfigSchema.parse({
      host: 'https://acme.atlassian.net',
      transitions: { close: { ids: ['31', '41'] }, review: { names: ['Code Review', 'In Review'] } },
    });
    expect(config.transitions).toEqual({ close: { ids: ['31', '41'] }, review: { names: ['Code Review', 'In Review'] } });
  });

  it.each([
    [{ host: 'not a url' }, 'bridge.config.json: jira.host must be the Jira site URL, e.g. https://your-site.atlassian.net'],
    [{ host: 'https://acme.atlassian.net/rest/api/3' }, 'bridge.config.json: jira.host must be the Jira site URL without the REST API path'],
    [{ host: 'https://acme.atlassian.net', projectKeys: ['abc'] }, 'bridge.config.json: jira.projectKeys[0] must be a Jira project key'],
    [{ host: 'https://acme.atlassian.net', branches: 'feature' }, 'bridge.config.json: jira.branches'],
    [{ host: 'https://acme.atlassian.net', transitions: { close: { ids: ['Done'] } } }, 'bridge.config.json: jira.transitions.close'],
    [{ host: 'https://acme.atlassian.net', mergeRequests: { onMerge: 'done' } }, 'bridge.config.json: jira.mergeRequests.onMerge'],
    [{ host: 'https://acme.atlassian.net', apiToken: 'x' }, 'bridge.config.json: jira Unrecognized key'],
    [{ host: 'https://acme.atlassian.net', auth: 'oauth' }, 'bridge.config.json: jira.auth'],
  ])('names the bad key: %j', (jira, message) => {
    expect(() => parseConfig({ routes: [], jira })).toThrow(ConfigError);
    expect(() => parseConfig({ routes: [], jira })).toThrow(message);
  });
});

describe('jiraConfigFromEnv (zero-config start)', () => {
  it('is off without JIRA_HOST', () => {
    expect(jiraConfigFromEnv({ JIRA_EMAIL: 'bot@example.com', JIRA_API_TOKEN: 't' })).toBeUndefined();
  });

  it('turns Jira on with basic auth and the conservative defaults', () => {
    const config = resolveConfig({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_EMAIL: 'bot@example.com', JIRA_API_TOKEN: 'secret' });
    expect(config.jira).toMatchObject({
      host: 'https://acme.atlassian.net',
      auth: 'basic',
      branches: 'default',
      smartCommits: true,
      closingKeywords: true,
      transitions: { close: 'Done' },
    });
    expect(JSON.stringify(config)).not.toContain('secret');
  });

  it('uses bearer auth and Data Center when JIRA_BEARER_TOKEN is set for a self-hosted Jira', () => {
    expect(jiraConfigFromEnv({ JIRA_HOST: 'https://jira.example.com', JIRA_BEARER_TOKEN: 'pat' })).toEqual({
      host: 'https://jira.example.com',
      auth: 'bearer',
      deployment: 'datacenter',
    });
  });

  it('keeps Jira Cloud for a bearer token on an atlassian.net site', () => {
    expect(jiraConfigFromEnv({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_BEARER_TOKEN: 'oauth-token' })).toEqual({
      host: 'https://acme.atlassian.net',
      auth: 'bearer',
    });
  });

  it('reads the JIRA_PROJECT_KEYS allowlist, trimmed and deduplicated', () => {
    expect(jiraConfigFromEnv({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_PROJECT_KEYS: ' ABC, OPS ,ABC,' })).toMatchObject({ projectKeys: ['ABC', 'OPS'] });
  });

  it.each([
    ['acme.atlassian.net', 'JIRA_HOST: "acme.atlassian.net" is not the Jira site URL; set it like https://acme.atlassian.net'],
    [
      'https://acme.atlassian.net/rest/api/3',
      'JIRA_HOST: "https://acme.atlassian.net/rest/api/3" is not the Jira site URL; set it like https://acme.atlassian.net',
    ],
  ])('names JIRA_HOST when it is not a site URL: %s', (host, message) => {
    expect(() => resolveConfig({ JIRA_HOST: host })).toThrow(ConfigError);
    expect(() => resolveConfig({ JIRA_HOST: host })).toThrow(message);
  });

  it('keeps a Data Center context path in JIRA_HOST', () => {
    expect(resolveConfig({ JIRA_HOST: 'https://intranet.example.com/jira', JIRA_BEARER_TOKEN: 'pat' }).jira).toMatchObject({
      host: 'https://intranet.example.com/jira',
      deployment: 'datacenter',
    });
  });

  it('names JIRA_PROJECT_KEYS when an entry is not a project key', () => {
    expect(() => jiraConfigFromEnv({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_PROJECT_KEYS: 'ABC,ops-1' })).toThrow(
      'JIRA_PROJECT_KEYS: "ops-1" is not a Jira project key',
    );
  });
});
