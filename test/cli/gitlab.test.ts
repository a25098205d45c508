import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';
import { startHttpAdapter } from '../../lib/local/http-adapter.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { startFakeGitLab, type FakeGitLab, type FakeProject } from '../support/gitlab-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli, localEnv } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;

const MAINTAINER = 'glpat-maintainer-token';
const DEVELOPER = 'glpat-developer-token';
const BRIDGE_TOKEN = 'bridge-webhook-token-1';

describe('gitlab connect / disconnect / status against a local GitLab hooks API', () => {
  let gitlab: FakeGitLab;
  let table: TestTable;
  let sqs: LocalSqs;
  let receiver: Server;
  let webhookUrl: string;
  let env: Record<string, string>;
  let app: FakeProject;

  beforeAll(async () => {
    // Page size 2 makes the CLI follow GitLab's x-next-page header.
    gitlab = await startFakeGitLab({ maintainerTokens: [MAINTAINER], developerTokens: [DEVELOPER], maxPerPage: 2 });
    table = await startTestTable('cli-gitlab');
    sqs = await startTestQueues({ queueName: 'cli-gitlab-queue' });
    // The real receiver behind the local HTTP adapter: GitLab's test event lands in the delivery log.
    const handler = createApiGatewayHandler({
      deliveries: new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName }),
      queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
      auth: async () => webhookAuthFromEnv(BRIDGE_TOKEN, undefined),
    });
    const adapter = await startHttpAdapter({ handler, port: 0, host: '127.0.0.1', maxBodyBytes: DEFAULTS.maxBodyBytes, healthy: () => true });
    receiver = adapter.server;
    webhookUrl = `${adapter.url}${WEBHOOK_PATH}`;
    env = localEnv(
      { dynamo: table.endpoint, sqs: sqs.endpoint },
      {
        GITLAB_URL: gitlab.url,
        GITLAB_TOKEN: MAINTAINER,
        BRIDGE_WEBHOOK_URL: webhookUrl,
        GITLAB_WEBHOOK_TOKEN: BRIDGE_TOKEN,
        BRIDGE_TABLE_NAME: table.tableName,
      },
    );
  });

  beforeEach(() => {
    gitlab.requests.length = 0;
  });

  afterAll(async () => {
    await gitlab?.stop();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await sqs?.close();
    await table?.close();
  });

  /*
   * Most tests below continue the story the first one starts: group/app with three hooks of its
   * own, then the bridge's hook #4. Run alone (-t), a test first plays that start (without its
   * assertions); run in order, it finds it done.
   */
  async function connected(): Promise<void> {
    if (app) return;
    app = gitlab.addProject('group/app');
    for (const url of ['https://ci.example.com/hook', 'https://chat.example.com/hook', 'https://deploy.example.com/hook']) gitlab.addHook(app, { url });
    await cli(env, ['gitlab', 'connect', '--project', 'group/app', '--branch-filter', 'main', '--events', 'pipeline,merge_request,push']);
    gitlab.requests.length = 0;
  }

  /** group/other, whose bridge hook GitLab disabled after failed deliveries. */
  function otherWithDisabledHook(): FakeProject {
    const other = gitlab.addProject('group/other');
    gitlab.addHook(other, {
      url: webhookUrl,
      alert_status: 'temporarily_disabled',
      disabled_until: '2026-01-16T12:00:00Z',
      flags: { push_events: true, pipeline_events: true },
    });
    return other;
  }

  it('creates the hook with the token, event flags and branch filter', async () => {
    app = gitlab.addProject('group/app');
    gitlab.addHook(app, { url: 'https://ci.example.com/hook' });
    gitlab.addHook(app, { url: 'https://chat.example.com/hook' });
    gitlab.addHook(app, { url: 'https://deploy.example.com/hook' });
    const run = await cli(env, ['gitlab', 'connect', '--project', 'group/app', '--branch-filter', 'main', '--events', 'pipeline,merge_request,push']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Created webhook #4 on group\/app -> http:\/\/127\.0\.0\.1:\d+\/webhooks\/gitlab \(events: push, merge_requests, pipeline; push branch filter: main\)\.\n$/,
    );

    const creates = gitlab.requestsTo('POST', /^\/api\/v4\/projects\/group%2Fapp\/hooks$/);
    expect(creates).toHaveLength(1);
    expect(creates[0]!.headers['private-token']).toBe(MAINTAINER);
    expect(creates[0]!.body).toEqual({
      url: webhookUrl,
      name: 'gitlab-bridge',
      description: 'GitLab events to Slack, Teams and Jira (gitlab-bridge)',
      token: BRIDGE_TOKEN,
      enable_ssl_verification: true,
      push_events: true,
      tag_push_events: false,
      merge_requests_events: true,
      pipeline_events: true,
      issues_events: false,
      confidential_issues_events: false,
      note_events: false,
      confidential_note_events: false,
      job_events: false,
      deployment_events: false,
      releases_events: false,
      wiki_page_events: false,
      emoji_events: false,
      feature_flag_events: false,
      resource_access_token_events: false,
      branch_filter_strategy: 'wildcard',
      push_events_branch_filter: 'main',
    });
    // The existing hooks were read across two pages before deciding to create.
    expect(
      gitlab.requestsTo('GET', /^\/api\/v4\/projects\/group%2Fapp\/hooks$/).map((request) => new URL(request.url, 'http://x').searchParams.get('page')),
    ).toEqual(['1', '2']);
    expect(app.hooks).toHaveLength(4);
  });

  it('updates the existing hook on a second connect instead of adding one', async () => {
    await connected();
    const run = await cli({ ...env, GITLAB_WEBHOOK_TOKEN: 'bridge-webhook-token-2' }, [
      'gitlab',
      'connect',
      '--project',
      'group/app',
      '--events',
      'pipeline',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      project: 'group/app',
      projectId: app.id,
      hookId: 4,
      action: 'updated',
      url: webhookUrl,
      events: ['pipeline'],
      duplicates: [],
    });
    expect(gitlab.requestsTo('POST', /\/hooks$/)).toHaveLength(0);
    const updates = gitlab.requestsTo('PUT', /^\/api\/v4\/projects\/group%2Fapp\/hooks\/4$/);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body).toMatchObject({ token: 'bridge-webhook-token-2', pipeline_events: true, push_events: false, merge_requests_events: false });
    expect(app.hooks).toHaveLength(4);
    expect(app.hooks[3]!.token).toBe('bridge-webhook-token-2');
  });

  it('--test has GitLab send a test push and waits until the delivery reaches the bridge', async () => {
    await connected();
    const run = await cli(env, ['gitlab', 'connect', '--project', 'group/app', '--test', '--wait', '10']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(gitlab.requestsTo('POST', /^\/api\/v4\/projects\/group%2Fapp\/hooks\/4\/test\/push_events$/)).toHaveLength(1);
    expect(gitlab.testDeliveries.at(-1)).toEqual({ hookUrl: webhookUrl, trigger: 'push_events', status: 202 });
    const match = /Test push_events event arrived: delivery (\S+) \(queued\)\./.exec(run.stdout);
    expect(match).not.toBeNull();
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    expect(await store.get(match![1]!)).toMatchObject({ projectPath: 'group/app', event: 'Push Hook', objectKind: 'push' });
  });

  it("reports GitLab's 422 for a test the project cannot produce", async () => {
    const empty = gitlab.addProject('group/empty', { hasCommits: false });
    const run = await cli(env, ['gitlab', 'connect', '--project', 'group/empty', '--test']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gitlab-bridge: GitLab refused to send a test push_events event: 422 (Ensure the project has at least one commit.); fix what GitLab names above and run the command again\n',
    );
    // The hook itself was created before the test.
    expect(empty.hooks).toHaveLength(1);
  });

  it("reports a refused hook URL (422) with GitLab's field message", async () => {
    await connected();
    const run = await cli({ ...env, BRIDGE_WEBHOOK_URL: 'ftp://bridge.example.com/webhooks/gitlab' }, ['gitlab', 'connect', '--project', 'group/app']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gitlab-bridge: GitLab refused to create the webhook: 422 (url is blocked: Only allowed schemes are http, https); fix what GitLab names above and run the command again\n',
    );
  });

  it.each([
    [
      'a bad token',
      { GITLAB_TOKEN: 'glpat-wrong' },
      ['gitlab', 'connect', '--project', 'group/app'],
      4,
      /^gitlab-bridge: GitLab at http:\/\/127\.0\.0\.1:\d+ rejected the access token \(401 Unauthorized\); set GITLAB_TOKEN to a personal or project access token with the api scope/,
    ],
    [
      "a Developer's token",
      { GITLAB_TOKEN: DEVELOPER },
      ['gitlab', 'connect', '--project', 'group/app'],
      4,
      /^gitlab-bridge: GitLab refused to let the token list the project's webhooks \(403 Forbidden\); managing webhooks needs the Maintainer/,
    ],
    [
      'an unknown project',
      {},
      ['gitlab', 'connect', '--project', 'group/missing'],
      3,
      /^gitlab-bridge: project group\/missing not found on http:\/\/127\.0\.0\.1:\d+ \(404 Project Not Found\); check --project/,
    ],
    ['no token', { GITLAB_TOKEN: '' }, ['gitlab', 'status'], 4, /^gitlab-bridge: no GitLab access token; set GITLAB_TOKEN/],
    [
      'the local bridge without --webhook-url',
      { BRIDGE_WEBHOOK_URL: '' },
      ['gitlab', 'connect', '--project', 'group/app'],
      2,
      /^gitlab-bridge: no webhook URL for the local bridge; pass --webhook-url with an address GitLab can reach/,
    ],
    [
      'an unknown event',
      {},
      ['gitlab', 'connect', '--project', 'group/app', '--events', 'pipelines,deploys'],
      2,
      /^gitlab-bridge: unknown event "deploys"; use a comma-separated list of push, tag_push/,
    ],
  ])('answers %s with exit code and one line', async (_name, extra, argv, code, message) => {
    await connected();
    const run = await cli({ ...env, ...extra }, argv);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain(BRIDGE_TOKEN);
  });

  it("status lists the bridge hooks with GitLab's alert status and exits 1 when one is disabled", async () => {
    await connected();
    otherWithDisabledHook();
    gitlab.addProject('group/unhooked');
    const run = await cli(env, ['gitlab', 'status']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PROJECT\s+HOOK\s+STATE\s+EVENTS\s+BRANCH FILTER\s+URL$/);
    // connect without --branch-filter leaves GitLab's existing filter (main, from the first connect).
    expect(lines.find((line) => line.startsWith('group/app '))).toMatch(/#4\s+ok\s+push,merge_requests,pipeline,job\s+main\s+http:\/\/127/);
    expect(lines.find((line) => line.startsWith('group/other '))).toMatch(/#\d+\s+temporarily disabled until 2026-01-16 12:00:00 UTC\s+push,pipeline/);
    expect(lines.some((line) => line.startsWith('group/unhooked'))).toBe(false);
    expect(lines.at(-1)).toBe(
      '1 hook is disabled by GitLab after failed deliveries: fix the cause, then re-enable with `gitlab-bridge gitlab connect --project P --test`.',
    );
    // Every project the token maintains was listed, page by page.
    expect(gitlab.requestsTo('GET', /^\/api\/v4\/projects$/).length).toBeGreaterThan(1);

    const named = await cli(env, ['gitlab', 'status', '--project', 'group/app,group/unhooked', '--json']);
    const json = JSON.parse(named.stdout) as { hooks: { project: string; state: string }[] };
    expect(json.hooks.map((hook) => [hook.project, hook.state])).toEqual([
      ['group/app', 'ok'],
      ['group/unhooked', 'not_connected'],
    ]);
    // A project named on purpose that sends the bridge nothing fails the check like a disabled hook.
    expect(named.code).toBe(1);
  });

  it('status exits 1 when a named project cannot be read, and says so under the table', async () => {
    await connected();
    const run = await cli(env, ['gitlab', 'status', '--project', 'group/app,group/typo']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.find((line) => line.startsWith('group/typo '))).toMatch(
      /-\s+error: project group\/typo not found on http:\/\/127\.0\.0\.1:\d+ \(404 Project Not Found\)/,
    );
    expect(lines.at(-1)).toBe(
      '1 named project is not connected to the bridge or could not be read: connect it with `gitlab-bridge gitlab connect --project P`, or check the name.',
    );
    expect((await cli(env, ['gitlab', 'status', '--project', 'group/app'])).code).toBe(0);
  });

  it('a successful --test re-enables a disabled hook', async () => {
    // Disabled by GitLab in the status test above; run alone (-t), here.
    const other = gitlab.projects.find((project) => project.path_with_namespace === 'group/other') ?? otherWithDisabledHook();
    const run = await cli(env, ['gitlab', 'connect', '--project', 'group/other', '--test', 'push', '--wait', '10']);
    expect(run.code).toBe(0);
    expect(other.hooks[0]!.alert_status).toBe('executable');
    expect((await cli(env, ['gitlab', 'status', '--project', 'group/other'])).code).toBe(0);
  });

  it('disconnect removes only the bridge hook, and is a no-op the second time', async () => {
    await connected();
    const run = await cli(env, ['gitlab', 'disconnect', '--project', 'group/app']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Removed webhook #4 from group/app.\n');
    expect(gitlab.requestsTo('DELETE', /^\/api\/v4\/projects\/group%2Fapp\/hooks\/4$/)).toHaveLength(1);
    expect(app.hooks.map((hook) => hook.url)).toEqual(['https://ci.example.com/hook', 'https://chat.example.com/hook', 'https://deploy.example.com/hook']);
    const again = await cli(env, ['gitlab', 'disconnect', '--project', 'group/app']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`group/app has no webhook pointing at ${webhookUrl}; nothing to remove.\n`);
  });

  // GitLab runs a test synchronously and answers 422 with the bridge's response when it was not 2xx.
  it('--test names a token the bridge rejects (exit 4), without printing it', async () => {
    gitlab.addProject('group/rotated');
    const run = await cli({ ...env, GITLAB_WEBHOOK_TOKEN: 'not-the-bridge-token' }, [
      'gitlab',
      'connect',
      '--project',
      'group/rotated',
      '--test',
      '--wait',
      '1',
    ]);
    expect(gitlab.testDeliveries.at(-1)).toMatchObject({ trigger: 'push_events', status: 401 });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      "gitlab-bridge: the bridge rejected GitLab's test push_events event (unauthorized: invalid or missing X-Gitlab-Token / webhook-signature); " +
        "the token connect set (--webhook-token, GITLAB_WEBHOOK_TOKEN or the bridge's GitLab secret) is not one the bridge accepts: check it and run connect again\n",
    );
    expect(run.stderr).not.toContain('not-the-bridge-token');
  });

  it("--test reports a bridge GitLab cannot reach, with GitLab's words", async () => {
    gitlab.addProject('group/unreachable');
    const run = await cli({ ...env, BRIDGE_WEBHOOK_URL: 'http://127.0.0.1:9/webhooks/gitlab' }, [
      'gitlab',
      'connect',
      '--project',
      'group/unreachable',
      '--test',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "gitlab-bridge: GitLab's test push_events event did not succeed (Failed to open TCP connection to 127.0.0.1:9 (Connection refused)); " +
        'GitLab shows the request and the answer under the hook\'s "Recent events" (Settings > Webhooks)\n',
    );
  });

  it('a custom webhook template: status reports it, the bridge records its output ignored, connect clears it', async () => {
    const templated = gitlab.addProject('group/templated');
    const hook = gitlab.addHook(templated, {
      url: webhookUrl,
      token: BRIDGE_TOKEN,
      custom_webhook_template: '{"text":"{{object_kind}} by {{user_username}}","project":{"path_with_namespace":"{{project.path_with_namespace}}"}}',
    });

    const status = await cli(env, ['gitlab', 'status', '--project', 'group/templated']);
    expect(status.code).toBe(1);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines.find((line) => line.startsWith('group/templated '))).toMatch(new RegExp(`#${hook.id}\\s+ok, custom template\\s+push`));
    expect(lines.at(-1)).toBe(
      "1 hook has a custom webhook template: GitLab sends the template's output instead of the event, which the bridge records as ignored; clear it with `gitlab-bridge gitlab connect --project P`.",
    );
    const json = JSON.parse((await cli(env, ['gitlab', 'status', '--project', 'group/templated', '--json'])).stdout) as { hooks: { problems?: string[] }[] };
    expect(json.hooks[0]?.problems).toEqual(['custom_webhook_template']);

    // GitLab's test push with the template set: the rendered template reaches the real receiver,
    // which answers 2xx (GitLab counts no failure) and records it ignored, with why.
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    const fired = await fetch(`${gitlab.url}/api/v4/projects/${templated.id}/hooks/${hook.id}/test/push_events`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': MAINTAINER },
    });
    expect(fired.status).toBe(201);
    expect(gitlab.testDeliveries.at(-1)).toEqual({ hookUrl: webhookUrl, trigger: 'push_events', status: 202 });
    const [recorded] = (await store.list({ projectPath: 'group/templated', since: '2000-01-01T00:00:00.000Z', limit: 10 })).items;
    expect(recorded).toMatchObject({
      status: 'ignored',
      statusReason: "custom webhook template: the body is not GitLab's event payload (it has no object_kind or event_name)",
    });
    expect(await store.get(recorded!.id)).toMatchObject({ payload: '{"text":"push by root","project":{"path_with_namespace":"group/templated"}}' });

    const connect = await cli(env, ['gitlab', 'connect', '--project', 'group/templated', '--test', '--wait', '10']);
    expect(connect.code).toBe(0);
    expect(gitlab.requestsTo('PUT', new RegExp(`^/api/v4/projects/group%2Ftemplated/hooks/${hook.id}$`))[0]?.body).toMatchObject({
      custom_webhook_template: '',
    });
    expect(connect.stdout).toContain(
      "Cleared the hook's custom webhook template: GitLab was sending the template's output instead of the event, which the bridge cannot act on.",
    );
    expect(connect.stdout).toMatch(/Test push_events event arrived: delivery \S+ \(queued\)\./);
    expect(hook.custom_webhook_template).toBe('');
    expect((await cli(env, ['gitlab', 'status', '--project', 'group/templated'])).code).toBe(0);
    // A second connect has nothing to clear and does not send the field.
    const again = await cli(env, ['gitlab', 'connect', '--project', 'group/templated', '--json']);
    expect(JSON.parse(again.stdout)).not.toHaveProperty('clearedCustomTemplate');
    expect(gitlab.requestsTo('PUT', /hooks/).at(-1)?.body).not.toHaveProperty('custom_webhook_template');
  });
});
