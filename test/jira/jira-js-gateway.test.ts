import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable, describeError, isRetryable } from '../../lib/errors.js';
import { adfDocument, text } from '../../lib/jira/adf.js';
import { JiraJsGateway } from '../../lib/jira/jira-js-gateway.js';
import { basicAuthorization, startJiraServer, type JiraTestServer } from '../support/jira-server.js';

const EMAIL = 'bot@example.com';
const TOKEN = 'jira-api-token-for-tests';

describe('JiraJsGateway (jira.js against a local Jira Cloud REST v3 server)', () => {
  let jira: JiraTestServer;
  let gateway: JiraJsGateway;

  beforeAll(async () => {
    jira = await startJiraServer({ expectedAuthorization: basicAuthorization(EMAIL, TOKEN) });
    gateway = new JiraJsGateway({ host: jira.url, credentials: { email: EMAIL, apiToken: TOKEN } });
  });
  afterAll(async () => jira.close());
  beforeEach(() => {
    jira.reset();
    jira.addIssue('ABC-1', 'In Progress');
  });

  it('reads the status with basic auth and fields=status', async () => {
    await expect(gateway.getIssueStatus('ABC-1')).resolves.toEqual({ id: expect.any(String), name: 'In Progress', categoryKey: 'indeterminate' });
    expect(jira.requests).toEqual([
      { method: 'GET', path: '/rest/api/3/issue/ABC-1', query: { fields: 'status' }, authorization: basicAuthorization(EMAIL, TOKEN), body: undefined },
    ]);
  });

  it('lists transitions with their destination status', async () => {
    await expect(gateway.getTransitions('ABC-1')).resolves.toEqual([
      { id: '21', name: 'Start Review', to: { id: expect.any(String), name: 'In Review', categoryKey: 'indeterminate' } },
      { id: '31', name: 'Done', to: { id: expect.any(String), name: 'Done', categoryKey: 'done' } },
    ]);
  });

  it('posts a transition by id', async () => {
    await gateway.transitionIssue('ABC-1', '31');
    expect(jira.writes()).toEqual([
      expect.objectContaining({ method: 'POST', path: '/rest/api/3/issue/ABC-1/transitions', body: { transition: { id: '31' } } }),
    ]);
    expect(jira.statusOf('ABC-1')).toBe('Done');
  });

  it('posts a comment as ADF to REST v3, in one request', async () => {
    const body = adfDocument([[text('started on the parser')]]);
    const created = await gateway.addComment('ABC-1', body);
    expect(created.id).toMatch(/^\d+$/);
    expect(jira.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/rest/api/3/issue/ABC-1/comment', body: { body } })]);
  });

  it('posts a worklog with timeSpent, started and an ADF comment', async () => {
    const comment = adfDocument([[text('Total work logged')]]);
    const created = await gateway.addWorklog('ABC-1', { timeSpent: '1w 2d 4h 30m', started: '2024-01-17T12:34:00.000+0000', comment });
    expect(created.id).toMatch(/^\d+$/);
    expect(jira.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/rest/api/3/issue/ABC-1/worklog',
        body: { timeSpent: '1w 2d 4h 30m', started: '2024-01-17T12:34:00.000+0000', comment },
      }),
    ]);
  });

  it("turns a 404 into DownstreamRejected with Jira's errorMessages, not retried", async () => {
    const error = await gateway.getIssueStatus('NOPE-9').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamRejected);
    expect((error as DownstreamRejected).status).toBe(404);
    expect(describeError(error)).toBe(
      'Jira answered 404 to the request to read the status of NOPE-9: Issue does not exist or you do not have permission to see it.',
    );
    expect(isRetryable(error)).toBe(false);
  });

  it('turns a 400 into DownstreamRejected with the field errors', async () => {
    jira.fail('POST', /\/worklog$/, { status: 400, body: { errorMessages: [], errors: { timeLogged: 'Time tracking is disabled.' } } });
    await expect(gateway.addWorklog('ABC-1', { timeSpent: '1h' })).rejects.toThrow(DownstreamRejected);
    jira.fail('POST', /\/worklog$/, { status: 400, body: { errorMessages: [], errors: { timeLogged: 'Time tracking is disabled.' } } });
    const error = await gateway.addWorklog('ABC-1', { timeSpent: '1h' }).catch((caught: unknown) => caught);
    expect((error as DownstreamRejected).details).toEqual(['timeLogged: Time tracking is disabled.']);
  });

  it('turns a 403 into DownstreamRejected', async () => {
    jira.fail('POST', /\/comment$/, { status: 403, body: { errorMessages: ['You do not have permission to comment on this issue.'], errors: {} } });
    const error = await gateway.addComment('ABC-1', adfDocument([[text('x')]])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamRejected);
    expect((error as DownstreamRejected).status).toBe(403);
  });

  it('turns a 429 into DownstreamRateLimited with Retry-After in ms', async () => {
    jira.fail('GET', /\/transitions$/, { status: 429, body: { errorMessages: ['Rate limit exceeded.'], errors: {} }, headers: { 'retry-after': '7' } });
    const error = await gateway.getTransitions('ABC-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamRateLimited);
    expect((error as DownstreamRateLimited).retryAfterMs).toBe(7000);
    expect(isRetryable(error)).toBe(true);
  });

  it('turns a 503 into DownstreamUnavailable (retried)', async () => {
    jira.fail('GET', /\/issue\/ABC-1$/, { status: 503, body: 'upstream unavailable' });
    const error = await gateway.getIssueStatus('ABC-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamUnavailable);
    expect((error as DownstreamUnavailable).status).toBe(503);
    expect(isRetryable(error)).toBe(true);
  });

  it('turns a 401 into ConfigError naming the secret, without the token', async () => {
    const wrong = new JiraJsGateway({ host: jira.url, credentials: { email: EMAIL, apiToken: 'wrong-token' } });
    const error = await wrong.getIssueStatus('ABC-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('JIRA_SECRET_ID');
    expect((error as Error).message).not.toContain('wrong-token');
  });

  it('turns a refused connection into DownstreamUnavailable', async () => {
    const closed = await startJiraServer();
    const url = closed.url;
    await closed.close();
    const unreachable = new JiraJsGateway({ host: url, credentials: { email: EMAIL, apiToken: TOKEN } });
    const error = await unreachable.getIssueStatus('ABC-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamUnavailable);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('sends a bearer token as Authorization: Bearer', async () => {
    const bearer = new JiraJsGateway({ host: jira.url, credentials: { bearerToken: 'pat-for-tests' } });
    const open = await startJiraServer({ expectedAuthorization: 'Bearer pat-for-tests' });
    try {
      open.addIssue('ABC-1', 'Done');
      const gatewayOnOpen = new JiraJsGateway({ host: open.url, credentials: { bearerToken: 'pat-for-tests' } });
      await expect(gatewayOnOpen.getIssueStatus('ABC-1')).resolves.toMatchObject({ name: 'Done' });
      expect(open.requests[0]?.authorization).toBe('Bearer pat-for-tests');
      await expect(bearer.getIssueStatus('ABC-1')).rejects.toThrow(ConfigError);
    } finally {
      await open.close();
    }
  });

  it('refuses an email without a real domain as a ConfigError, never echoing the token', () => {
    expect(() => new JiraJsGateway({ host: jira.url, credentials: { email: 'bot', apiToken: 'secret-token-value' } })).toThrow(ConfigError);
    expect(() => new JiraJsGateway({ host: jira.url, credentials: { email: 'bot', apiToken: 'secret-token-value' } })).not.toThrow(/secret-token-value/);
  });
});

describe('JiraJsGateway for Jira Data Center (REST v2, wiki markup, bearer token)', () => {
  let jira: JiraTestServer;
  let gateway: JiraJsGateway;

  beforeAll(async () => {
    jira = await startJiraServer({ expectedAuthorization: 'Bearer dc-personal-access-token' });
    gateway = new JiraJsGateway({ host: jira.url, credentials: { bearerToken: 'dc-personal-access-token' }, deployment: 'datacenter' });
  });
  afterAll(async () => jira.close());
  beforeEach(() => {
    jira.reset();
    jira.addIssue('OPS-7', 'To Do');
  });

  it('reads status and transitions and moves the issue through REST v2', async () => {
    await expect(gateway.getIssueStatus('OPS-7')).resolves.toMatchObject({ name: 'To Do', categoryKey: 'new' });
    const transitions = await gateway.getTransitions('OPS-7');
    expect(transitions.map((transition) => transition.name)).toEqual(['Start Progress', 'Done']);
    await gateway.transitionIssue('OPS-7', '11');
    expect(jira.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /rest/api/2/issue/OPS-7',
      'GET /rest/api/2/issue/OPS-7/transitions',
      'POST /rest/api/2/issue/OPS-7/transitions',
    ]);
    expect(jira.statusOf('OPS-7')).toBe('In Progress');
  });

  it('sends comments and worklog comments as wiki markup with the link kept', async () => {
    const body = adfDocument([
      [text('fixed the race')],
      [
        text('From commit '),
        { type: 'text', text: 'abc12345', marks: [{ type: 'link', attrs: { href: 'https://gitlab.example.com/g/p/-/commit/abc12345' } }] },
      ],
    ]);
    await gateway.addComment('OPS-7', body);
    await gateway.addWorklog('OPS-7', { timeSpent: '2h', comment: body });
    const wiki = 'fixed the race\n\nFrom commit [abc12345|https://gitlab.example.com/g/p/-/commit/abc12345]';
    expect(jira.writes().map((request) => [request.path, request.body])).toEqual([
      ['/rest/api/2/issue/OPS-7/comment', { body: wiki }],
      ['/rest/api/2/issue/OPS-7/worklog', { timeSpent: '2h', comment: wiki }],
    ]);
  });

  it('maps a Data Center 404 like Cloud', async () => {
    await expect(gateway.getIssueStatus('OPS-404')).rejects.toThrow(DownstreamRejected);
  });
});

describe('JiraJsGateway bounds every call', () => {
  let jira: JiraTestServer;

  beforeAll(async () => {
    jira = await startJiraServer();
  });
  afterAll(async () => jira.close());
  beforeEach(() => {
    jira.reset();
    jira.addIssue('ABC-1', 'In Progress');
  });

  // The worker Lambda has 60 s for a whole batch; a stalled Jira must fail the call well inside it.
  const cases = [
    { deployment: 'cloud', stall: 'headers' },
    { deployment: 'cloud', stall: 'body' },
    { deployment: 'datacenter', stall: 'headers' },
    { deployment: 'datacenter', stall: 'body' },
  ] as const;
  it.each(cases)(
    'a $deployment Jira that stalls before the $stall fails as DownstreamUnavailable (retried)',
    async ({ deployment, stall }) => {
      jira.stall('GET', /\/issue\/ABC-1$/, stall);
      const gateway = new JiraJsGateway({ host: jira.url, credentials: { bearerToken: 'pat' }, deployment, timeoutMs: 300 });
      const started = Date.now();
      const error = await gateway.getIssueStatus('ABC-1').catch((caught: unknown) => caught);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(DownstreamUnavailable);
      expect((error as Error).message).toMatch(/^Jira did not answer .* to read the status of ABC-1/);
      expect(isRetryable(error)).toBe(true);
    },
    15_000,
  );

  it('bounds writes too: a stalled comment post fails as DownstreamUnavailable', async () => {
    jira.stall('POST', /\/comment$/, 'headers');
    const gateway = new JiraJsGateway({ host: jira.url, credentials: { bearerToken: 'pat' }, timeoutMs: 300 });
    await expect(gateway.addComment('ABC-1', adfDocument([[text('x')]]))).rejects.toThrow(DownstreamUnavailable);
  }, 15_000);
});
