import { describe, expect, it } from 'vitest';
import { classifyDelivery, matchesStatusFilter, needsOutcomes, parseSince, parseStatusFilter } from '../../cli/delivery-filters.js';
import { CliError } from '../../cli/exit-codes.js';
import { formatDeliveryTable } from '../../cli/format/deliveries.js';
import { renderTable, shortTime, truncate } from '../../cli/format/table.js';
import {
  enabledEvents,
  hookHealth,
  hookRequestBody,
  isBridgeHook,
  parseHookEvents,
  planConnect,
  projectIdForPath,
  sameHookUrl,
  testTrigger,
  type GitLabHook,
} from '../../cli/gitlab/hook-plan.js';
import { gitlabApiBase, gitlabErrorDetail } from '../../cli/gitlab/hooks-api.js';
import { isLoopbackUrl } from '../../cli/local-defaults.js';
import { progressBar } from '../../cli/progress.js';
import { parseBridgeSecret } from '../../cli/resources.js';
import { clientConfig } from '../../cli/context.js';

const NOW = new Date('2026-01-16T12:00:00Z');

describe('--since', () => {
  it.each([
    ['30m', '2026-01-16T11:30:00.000Z'],
    ['12h', '2026-01-16T00:00:00.000Z'],
    ['7d', '2026-01-09T12:00:00.000Z'],
    ['2w', '2026-01-02T12:00:00.000Z'],
    ['90s', '2026-01-16T11:58:30.000Z'],
    ['2026-01-15T08:00:00Z', '2026-01-15T08:00:00.000Z'],
    ['2026-01-15', '2026-01-15T00:00:00.000Z'],
  ])('reads %s', (value, expected) => {
    expect(parseSince(value, NOW)).toBe(expected);
  });

  it.each(['yesterday', '7', 'd7', '-1d', '12/01/2026'])('refuses %s with a usage error', (value) => {
    expect(() => parseSince(value, NOW)).toThrow(CliError);
  });
});

describe('status classes', () => {
  const failed = (retryable: boolean) => ({ status: 'failed' as const, retryable });
  it.each([
    ['done', [], 'successful'],
    ['ignored', [], 'successful'],
    ['queued', [], undefined],
    ['processing', [failed(true)], 'server_failure'],
    ['failed', [failed(true)], 'server_failure'],
    ['failed', [failed(false)], 'client_failure'],
    ['failed', [], 'client_failure'],
    ['partial', [{ status: 'sent' as const }, failed(false)], 'client_failure'],
    ['partial', [failed(false), failed(true)], 'server_failure'],
  ] as const)('%s with %j is %s', (status, outcomes, expected) => {
    expect(classifyDelivery(status, outcomes)).toBe(expected);
  });

  it('queries the statuses a class can come from and checks outcomes only where needed', () => {
    const filter = parseStatusFilter('server_failure,done');
    expect(filter.query.sort()).toEqual(['done', 'failed', 'partial', 'processing']);
    expect(needsOutcomes(filter, 'done')).toBe(false);
    expect(needsOutcomes(filter, 'failed')).toBe(true);
    expect(matchesStatusFilter(filter, 'failed', [{ status: 'failed', retryable: false }])).toBe(false);
    expect(matchesStatusFilter(filter, 'failed', [{ status: 'failed', retryable: true }])).toBe(true);
    expect(parseStatusFilter('successful')).toEqual({ query: ['done', 'ignored'], direct: ['done', 'ignored'], classes: [] });
    expect(parseStatusFilter('Client-Failure').classes).toEqual(['client_failure']);
    expect(parseStatusFilter(undefined).query).toEqual([]);
  });
});

describe('tables', () => {
  it('pads columns, right-aligns numbers, truncates long cells and keeps rows on one line', () => {
    const text = renderTable(
      [{ header: 'NAME', maxWidth: 6 }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
      [
        ['short', '1', 'a'],
        ['much longer', '100', 'two\nlines'],
      ],
    );
    expect(text).toBe('NAME      N  NOTE\nshort     1  a\nmuch …  100  two lines\n');
    expect(truncate('abcdef', 3)).toBe('ab…');
    expect(shortTime('2026-01-31T09:15:02.123Z')).toBe('2026-01-31 09:15:02');
  });

  it('says so when no delivery matches', () => {
    expect(formatDeliveryTable([])).toBe('No deliveries match.\n');
  });

  it('draws a progress bar', () => {
    expect(progressBar(0, 4, 8)).toBe('[--------] 0/4');
    expect(progressBar(3, 4, 8)).toBe('[######--] 3/4');
    expect(progressBar(0, 0, 4)).toBe('[####] 0/0');
  });
});

describe('GitLab hook logic', () => {
  const hook = (overrides: Partial<GitLabHook>): GitLabHook => ({ id: 1, url: 'https://bridge.example.com/webhooks/gitlab', ...overrides });

  it.each([
    [undefined, ['pipeline', 'merge_requests', 'push', 'job']],
    ['push_events, MR ,pipelines', ['push', 'merge_requests', 'pipeline']],
    ['tag-push,release,comments', ['tag_push', 'releases', 'note']],
  ])('reads --events %s', (value, expected) => {
    expect(parseHookEvents(value)).toEqual(expected);
  });

  it('refuses unknown or empty event lists', () => {
    expect(() => parseHookEvents('push,deploys')).toThrow('unknown event "deploys"');
    expect(() => parseHookEvents(' , ')).toThrow('--events is empty');
  });

  it('sets every event flag so a narrower list turns the others off, and clears the filter for all_branches', () => {
    const body = hookRequestBody({
      url: 'https://b/webhooks/gitlab',
      token: 't',
      events: ['push'],
      enableSslVerification: true,
      branchFilterStrategy: 'all_branches',
      branchFilter: 'main',
    });
    expect(body).toMatchObject({
      push_events: true,
      pipeline_events: false,
      merge_requests_events: false,
      branch_filter_strategy: 'all_branches',
      push_events_branch_filter: '',
    });
    expect(body).not.toHaveProperty('signing_token');
    expect(hookRequestBody({ url: 'u', token: 't', events: ['push'], enableSslVerification: false, signingToken: 'whsec_x' })).toMatchObject({
      signing_token: 'whsec_x',
      enable_ssl_verification: false,
    });
    expect(hookRequestBody({ url: 'u', token: 't', events: ['push'], enableSslVerification: true })).not.toHaveProperty('branch_filter_strategy');
  });

  it('updates the oldest hook with the same URL and reports duplicates; creates when none', () => {
    const hooks = [hook({ id: 9 }), hook({ id: 4, url: 'HTTPS://Bridge.example.com/webhooks/gitlab/' }), hook({ id: 2, url: 'https://other.example.com/' })];
    expect(planConnect(hooks, 'https://bridge.example.com/webhooks/gitlab')).toEqual({ action: 'update', hookId: 4, duplicates: [9] });
    expect(planConnect(hooks, 'https://new.example.com/webhooks/gitlab')).toEqual({ action: 'create' });
    expect(sameHookUrl('https://a.example.com/x?y=1', 'https://a.example.com/x')).toBe(false);
  });

  it('recognises bridge hooks by URL, or by name and path when the URL is unknown', () => {
    expect(isBridgeHook(hook({}), 'https://bridge.example.com/webhooks/gitlab')).toBe(true);
    expect(isBridgeHook(hook({ url: 'https://x.execute-api.eu-west-1.amazonaws.com/webhooks/gitlab' }), undefined)).toBe(true);
    expect(isBridgeHook(hook({ url: 'https://ci.example.com/hook', name: 'gitlab-bridge' }), undefined)).toBe(true);
    expect(isBridgeHook(hook({ url: 'https://ci.example.com/hook' }), undefined)).toBe(false);
  });

  it('picks a test trigger GitLab can send', () => {
    expect(testTrigger(['pipeline', 'push'], undefined)).toBe('push_events');
    expect(testTrigger(['pipeline', 'merge_requests'], undefined)).toBe('merge_requests_events');
    expect(testTrigger(['push'], 'pipeline')).toBe('pipeline_events');
    expect(() => testTrigger(['deployment'], undefined)).toThrow(CliError);
    expect(() => testTrigger(['push'], 'feature_flag')).toThrow('GitLab cannot send a test feature_flag event');
  });

  it('reads health and events off a hook', () => {
    expect(hookHealth(hook({ alert_status: 'executable' }))).toEqual({ state: 'ok' });
    expect(hookHealth(hook({ alert_status: 'temporarily_disabled', disabled_until: '2026-01-16T12:00:00Z' }))).toEqual({
      state: 'temporarily_disabled',
      until: '2026-01-16T12:00:00Z',
    });
    expect(hookHealth(hook({ alert_status: 'disabled' }))).toEqual({ state: 'disabled' });
    expect(enabledEvents(hook({ push_events: true, pipeline_events: true, note_events: false }))).toEqual(['push', 'pipeline']);
  });

  it.each([
    ['group/sub/app', 'group%2Fsub%2Fapp'],
    ['/group/app/', 'group%2Fapp'],
    ['42', '42'],
  ])('addresses project %s as %s', (project, id) => {
    expect(projectIdForPath(project)).toBe(id);
  });

  it('reads GitLab error bodies and base URLs', () => {
    expect(gitlabErrorDetail({ message: '404 Project Not Found' })).toBe('404 Project Not Found');
    expect(gitlabErrorDetail({ error: 'url is missing' })).toBe('url is missing');
    expect(gitlabErrorDetail({ message: { url: ['is blocked', 'is invalid'], token: ['is too long'] } })).toBe('url is blocked, is invalid; token is too long');
    expect(gitlabApiBase('https://gitlab.example.com/')).toBe('https://gitlab.example.com/api/v4');
    expect(gitlabApiBase('https://gitlab.example.com/api/v4')).toBe('https://gitlab.example.com/api/v4');
    expect(() => gitlabApiBase('gitlab.example.com')).toThrow('is not a URL');
  });
});

describe('the bridge secret and local endpoints', () => {
  it.each([
    ['s3cret', { token: 's3cret' }],
    ['  s3cret\n', { token: 's3cret' }],
    ['["new", "old"]', { token: 'new' }],
    ['{"tokens":["new","old"],"signingKeys":["whsec_a"],"requireSignature":true}', { token: 'new', signingKey: 'whsec_a' }],
    ['{"tokens":[]}', {}],
    ['REPLACE_ME_with_a_token', {}],
    ['["REPLACE_ME", "real"]', { token: 'real' }],
    ['', {}],
  ])('reads %j as %j', (secret, expected) => {
    expect(parseBridgeSecret(secret)).toEqual(expected);
  });

  it('gives a project with credentials of its own those, as the receiver checks them', () => {
    const secret = JSON.stringify({
      tokens: ['global'],
      signingKeys: ['whsec_global'],
      projects: { 'Acme/Vendor-App': { id: 42, tokens: ['vendor-only'] }, 'acme/payments': { requireSignature: true } },
    });
    expect(parseBridgeSecret(secret, 'acme/vendor-app')).toEqual({ token: 'vendor-only' });
    expect(parseBridgeSecret(secret, '42')).toEqual({ token: 'vendor-only' });
    expect(parseBridgeSecret(secret, 'acme/payments')).toEqual({ token: 'global', signingKey: 'whsec_global' });
    expect(parseBridgeSecret(secret, 'acme/other')).toEqual({ token: 'global', signingKey: 'whsec_global' });
    expect(parseBridgeSecret(secret)).toEqual({ token: 'global', signingKey: 'whsec_global' });
  });

  it('reads tokens exactly as the receiver compares them (no trimming inside JSON, no singular "token" key)', () => {
    expect(parseBridgeSecret('{"tokens":[" spaced "]}')).toEqual({ token: ' spaced ' });
    expect(parseBridgeSecret('{"token":"ignored-by-the-receiver"}')).toEqual({});
  });

  it('does not echo a secret that fails to parse', () => {
    expect(() => parseBridgeSecret('{"tokens": ["leak-me"')).toThrow(/^the GitLab secret looks like JSON but does not parse$/);
  });

  it.each([
    ['http://127.0.0.1:8000', true],
    ['http://127.1.2.3:1', true],
    ['http://localhost:4566', true],
    ['http://[::1]:8000', true],
    ['https://dynamodb.eu-west-1.amazonaws.com', false],
    ['http://10.0.0.1:8000', false],
    [undefined, false],
  ])('%s is loopback: %s', (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });

  it('gives loopback endpoints placeholder credentials and a region, and leaves AWS alone', () => {
    expect(clientConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' }, 'DYNAMODB')).toEqual({
      endpoint: 'http://127.0.0.1:8000',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(clientConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_PROFILE: 'dev', AWS_REGION: 'eu-west-1' }, 'DYNAMODB')).toEqual({
      endpoint: 'http://127.0.0.1:8000',
      region: 'eu-west-1',
    });
    expect(clientConfig({ AWS_REGION: 'eu-west-1' }, 'SQS')).toEqual({ region: 'eu-west-1' });
    expect(clientConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, 'CLOUDFORMATION')).toMatchObject({ endpoint: 'http://127.0.0.1:4566' });
  });
});
