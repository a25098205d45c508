import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';

describe('route schema', () => {
  it('fills GitLab-like defaults for a minimal route', () => {
    const config = parseConfig({ routes: [{ slack: { channel: 'C0123' } }] });
    expect(config.routes[0]).toEqual({
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
    });
  });

  it('fills defaults for options left out of a partial options object', () => {
    const config = parseConfig({ routes: [{ teams: { webhook: 'ops' }, options: { skipDraftMergeRequests: true } }] });
    expect(config.routes[0]?.options).toEqual({
      notifyOnlyBrokenPipelines: true,
      notifyOnRecovery: true,
      mergeRequestActions: ['opened', 'reopened', 'closed', 'merged', 'approved'],
      skipDraftMergeRequests: true,
    });
  });

  it.each([
    [
      { routes: [{ slack: { channel: 'C1' }, options: { notifyOnlyBrokenPipeline: false } }] },
      'bridge.config.json: routes[0].options Unrecognized key: "notifyOnlyBrokenPipeline" (notifyOnlyBrokenPipeline)',
    ],
    [{ routes: [{ slack: {} }] }, 'bridge.config.json: routes[0].slack set "channel" or "channels"'],
    [{ routes: [{ teams: { webhooks: [] } }] }, 'bridge.config.json: routes[0].teams set "webhook" or "webhooks"'],
    [{ routes: [{ name: 'x' }] }, 'bridge.config.json: routes[0] a route needs a "slack" or "teams" target'],
    [{ routes: [{ slack: { channel: 'C1' }, events: ['push'] }] }, 'bridge.config.json: routes[0].events[0]'],
    [{ routes: [{ slack: { channel: 'C1' }, branches: 'protected-only' }] }, 'bridge.config.json: routes[0].branches'],
    [{ routes: [{ slack: { channel: 'C1' }, branches: ['/release-(/'] }] }, 'bridge.config.json: routes[0].branches[0] invalid regular expression /release-(/'],
    [
      { routes: [{ slack: { channel: 'C1' }, projects: ['/acme/*'] }] },
      'bridge.config.json: routes[0].projects[0] write project patterns without leading or trailing slash',
    ],
    [{ routes: [{ slack: { channel: 'C1' }, options: { mergeRequestActions: ['merge'] } }] }, 'bridge.config.json: routes[0].options.mergeRequestActions[0]'],
    [{ slack: { apiUrl: 'not a url' }, routes: [] }, 'bridge.config.json: slack.apiUrl'],
    [{ slack: { apiUrl: 'ftp://slack.example/api/' }, routes: [] }, 'bridge.config.json: slack.apiUrl'],
    [{ routes: [{ slack: { channel: 'C1', webhook: 'x' } }] }, 'bridge.config.json: routes[0].slack Unrecognized key: "webhook"'],
    [
      { routes: [{ slack: { channel: 'C1' }, options: { excludeAuthor: ['renovate-bot'] } }] },
      'bridge.config.json: routes[0].options Unrecognized key: "excludeAuthor"',
    ],
    [
      { routes: [{ slack: { channel: 'C1' }, options: { excludeAuthors: [] } }] },
      'bridge.config.json: routes[0].options.excludeAuthors list at least one author pattern',
    ],
    [
      { routes: [{ slack: { channel: 'C1' }, options: { labels: [' '] } }] },
      'bridge.config.json: routes[0].options.labels[0] a name pattern must not be empty',
    ],
    [
      { routes: [{ slack: { channel: 'C1' }, options: { targetBranches: ['/main(/'] } }] },
      'bridge.config.json: routes[0].options.targetBranches[0] invalid regular expression /main(/',
    ],
  ])('rejects %j naming the key', (config, message) => {
    expect(() => parseConfig(config)).toThrow(message);
  });

  it('accepts GovSlack and local API URLs', () => {
    expect(parseConfig({ slack: { apiUrl: 'https://slack-gov.com/api/' } }).slack?.apiUrl).toBe('https://slack-gov.com/api/');
    expect(parseConfig({ slack: { apiUrl: 'http://127.0.0.1:4000/api/' } }).slack?.apiUrl).toBe('http://127.0.0.1:4000/api/');
  });

  it('the full routing example in docs/notices.md is valid', () => {
    const doc = readFileSync(new URL('../../docs/notices.md', import.meta.url), 'utf8');
    const example = /<!-- full-example -->\s*```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = parseConfig(JSON.parse(example ?? ''), 'docs/notices.md');
    expect(config.routes.length).toBeGreaterThanOrEqual(3);
  });
});
