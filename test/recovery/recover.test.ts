import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config/resolve.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startLocalBridge, type LocalBridge } from '../../lib/local/bridge.js';
import { LOCAL_AWS } from '../../lib/local/names.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { recoverFailedDeliveries, recoveryCursorKey, type RecoveryDeps } from '../../lib/recovery/recover.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { gitlabHeaders, readFixture } from '../support/gitlab-fixtures.js';
import { startFakeGitLab, type FakeGitLab, type FakeHook, type FakeProject } from '../support/gitlab-server.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * Recovery over real wires: GitLab's hook event log served by the stand-in (paged, mixed
 * statuses), the local bridge's dynalite, SQS and worker, Slack's wire.
 */
const GITLAB_TOKEN = 'glpat-recovery';
const WEBHOOK_TOKEN = 'recovery-webhook-token';
let slack: SlackServer;
let bridge: LocalBridge;
let gitlab: FakeGitLab;
let store: DynamoDbDeliveryStore;
let state: DynamoDbStateStore;
let queue: SqsDeliveryQueue;
let clock = Date.now();

beforeAll(async () => {
  slack = await startSlackServer();
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl };
  bridge = await startLocalBridge({
    port: 0,
    tokens: [WEBHOOK_TOKEN],
    config: resolveConfig(env),
    credentials: credentialsFromEnv(env),
    print: () => {},
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint });
  store = new DynamoDbDeliveryStore({ client: dynamo, tableName: bridge.tableName });
  state = new DynamoDbStateStore(dynamo, bridge.tableName);
  queue = new SqsDeliveryQueue(new SQSClient({ ...LOCAL_AWS, endpoint: bridge.sqsEndpoint }), bridge.queueUrl);
  // Two events a page, so every scan pages; the clock drives the resend limit's minute.
  gitlab = await startFakeGitLab({ maintainerTokens: [GITLAB_TOKEN], maxPerPage: 2, now: () => clock });
});

afterAll(async () => {
  await bridge.stop();
  await slack.close();
  await gitlab.stop();
});

function deps(extra: Partial<RecoveryDeps> = {}): RecoveryDeps {
  return {
    deliveries: store,
    queue,
    state,
    gitlab: { url: gitlab.url, token: GITLAB_TOKEN },
    webhookUrl: bridge.webhookUrl,
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    ...extra,
  };
}

function connect(path: string): { project: FakeProject; hook: FakeHook } {
  const project = gitlab.addProject(path);
  const hook = gitlab.addHook(project, { url: bridge.webhookUrl, name: 'gitlab-bridge', token: WEBHOOK_TOKEN });
  return { project, hook };
}

async function settled(id: string): Promise<string> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const record = await store.get(id);
    if (record && !['queued', 'processing'].includes(record.status)) return record.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`delivery ${id} was not processed in time`);
}

describe('recovering failed deliveries from the hook event log', () => {
  it('recovers failed events without a record exactly once, skips recorded ones, and a second run recovers nothing', async () => {
    const { project, hook } = connect('acme/recover-once');
    const failedAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const failure = pipelineEvent({
      id: 7001,
      ref: 'master',
      status: 'failed',
      failedJobs: 1,
      projectId: project.id,
      projectPath: project.path_with_namespace,
    });
    const failureHeaders = gitlabHeaders('Pipeline Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers: failureHeaders, data: failure, responseStatus: 500, createdAt: failedAt, trigger: 'pipeline_hooks' });
    // A timeout: GitLab logs `internal error`, and lists it among server failures.
    const push = pushEvent({ projectId: project.id, projectPath: project.path_with_namespace });
    const pushHeaders = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers: pushHeaders, data: push, responseStatus: 'internal error', createdAt: failedAt });
    // A client failure (the bridge answered 401 while its token was being rotated).
    const push401 = pushEvent({ projectId: project.id, projectPath: project.path_with_namespace, branch: 'rotate' });
    gitlab.logHookEvent(hook, { headers: gitlabHeaders('Push Hook', WEBHOOK_TOKEN), data: push401, responseStatus: 401, createdAt: failedAt });
    // Recorded by the bridge, then a proxy answered 502: already safe.
    const recordedHeaders = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    const recordedPush = pushEvent({ projectId: project.id, projectPath: project.path_with_namespace, branch: 'proxied' });
    const direct = await fetch(bridge.webhookUrl, { method: 'POST', headers: recordedHeaders, body: JSON.stringify(recordedPush) });
    expect(direct.status).toBe(202);
    gitlab.logHookEvent(hook, { headers: recordedHeaders, data: recordedPush, responseStatus: 502, createdAt: failedAt });
    // Delivered fine: not listed as a failure at all.
    gitlab.logHookEvent(hook, { headers: gitlabHeaders('Push Hook', WEBHOOK_TOKEN), data: push, responseStatus: 200, createdAt: failedAt });

    const first = await recoverFailedDeliveries({ projects: [project.path_with_namespace] }, deps());
    expect(first).toMatchObject({ scanned: 4, alreadyRecorded: 1, recovered: 3, resent: 0, failed: 0 });
    expect(first.hooks).toEqual([expect.objectContaining({ project: 'acme/recover-once', hookId: hook.id, state: 'ok', cursorAdvanced: true })]);
    // Every page of both failure classes was read.
    const listed = gitlab.requestsTo('GET', new RegExp(`/hooks/${hook.id}/events$`)).map((request) => new URL(request.url, 'http://x').searchParams);
    expect(listed.map((params) => `${params.get('status')}:${params.get('page')}`)).toEqual(['server_failure:1', 'server_failure:2', 'client_failure:1']);

    const id = failureHeaders['idempotency-key']!;
    expect(await settled(id)).toBe('done');
    const record = await store.get(id);
    expect(record).toMatchObject({
      receivedAt: failedAt,
      recovered: { hookId: hook.id, hookEventId: expect.any(Number) },
      authProject: { path: 'acme/recover-once', id: project.id },
    });
    expect(record?.headers['x-gitlab-token']).toBe('[REDACTED]');
    expect(await store.get(pushHeaders['idempotency-key']!)).toMatchObject({ recovered: { hookId: hook.id } });
    const notices = () => slack.calls.filter((call) => call.method === 'chat.postMessage');
    await settled(pushHeaders['idempotency-key']!);
    expect(notices().filter((call) => JSON.stringify(call.params).includes('7001'))).toHaveLength(1);

    const second = await recoverFailedDeliveries({ projects: [project.path_with_namespace] }, deps());
    expect(second).toMatchObject({ recovered: 0, failed: 0 });
    expect(second.alreadyRecorded).toBe(second.scanned);
    expect(await state.get(recoveryCursorKey(project.id, hook.id))).toEqual({ until: expect.any(String) });
    expect(notices().filter((call) => JSON.stringify(call.params).includes('7001'))).toHaveLength(1);
  });

  it('announces a recovered failure late, with its original time, and says the branch has recovered since', async () => {
    const { project, hook } = connect('acme/late');
    const spec = { ref: 'master', projectId: project.id, projectPath: project.path_with_namespace };
    const deliver = async (payload: Record<string, unknown>, headers: Record<string, string>) => {
      const response = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: JSON.stringify(payload) });
      expect(response.status).toBe(202);
      await settled(headers['idempotency-key']!);
    };
    // #7300 failed and was announced; #7302 passed (the branch is green); #7301's failure never arrived.
    await deliver(pipelineEvent({ ...spec, id: 7300, status: 'failed', failedJobs: 1 }), gitlabHeaders('Pipeline Hook', WEBHOOK_TOKEN));
    await deliver(pipelineEvent({ ...spec, id: 7302, status: 'success' }), gitlabHeaders('Pipeline Hook', WEBHOOK_TOKEN));
    const failedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const headers = gitlabHeaders('Pipeline Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, {
      headers,
      data: pipelineEvent({ ...spec, id: 7301, status: 'failed', failedJobs: 1 }),
      responseStatus: 'internal error',
      createdAt: failedAt,
      trigger: 'pipeline_hooks',
    });
    expect(await recoverFailedDeliveries({ projects: ['acme/late'] }, deps())).toMatchObject({ recovered: 1 });
    expect(await settled(headers['idempotency-key']!)).toBe('done');
    const posts = slack.calls.filter((call) => call.method === 'chat.postMessage' && JSON.stringify(call.params).includes('Pipeline #7301 failed'));
    expect(posts).toHaveLength(1);
    const text = JSON.stringify(posts[0]?.params);
    expect(text).toContain(`late: recovered from GitLab's hook log, failed at ${failedAt.slice(0, 16).replace('T', ' ')} UTC`);
    expect(text).toContain('the branch has recovered since');
    // The notice on time says nothing of the kind.
    const onTime = slack.calls.filter((call) => call.method === 'chat.postMessage' && JSON.stringify(call.params).includes('Pipeline #7300 failed'));
    expect(JSON.stringify(onTime[0]?.params)).not.toContain('late:');
  });

  it("refuses an event that names another project than the hook's, and records nothing", async () => {
    const { project, hook } = connect('acme/isolated');
    const foreign = pushEvent({ projectId: 999_999, projectPath: 'other/secret' });
    const headers = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers, data: foreign, responseStatus: 500 });
    const report = await recoverFailedDeliveries({ projects: [project.id] }, deps());
    expect(report).toMatchObject({ scanned: 1, recovered: 0, failed: 1 });
    expect(report.events[0]?.reason).toMatch(/another project/);
    expect(await store.get(headers['idempotency-key']!)).toBeUndefined();
  });

  it("ingests the REST API docs' logged push example as it was logged", async () => {
    const { project, hook } = connect('flightjs/Flight');
    const data = readFixture('push--from-hook-events-api.json');
    (data.project as Record<string, unknown>).id = project.id;
    data.project_id = project.id;
    const headers = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers, data, responseStatus: 503 });
    const report = await recoverFailedDeliveries({ projects: ['flightjs/Flight'] }, deps());
    expect(report).toMatchObject({ recovered: 1 });
    expect(await store.get(headers['idempotency-key']!)).toMatchObject({ objectKind: 'push', projectPath: 'flightjs/Flight', ref: 'master' });
  });

  it('a dry run reports what it would recover and changes nothing', async () => {
    const { project, hook } = connect('acme/dry');
    const headers = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
    gitlab.logHookEvent(hook, { headers, data: pushEvent({ projectId: project.id, projectPath: 'acme/dry' }), responseStatus: 500 });
    const report = await recoverFailedDeliveries({ projects: ['acme/dry'], dryRun: true }, deps());
    expect(report).toMatchObject({ recovered: 1, dryRun: true });
    expect(report.events[0]).toMatchObject({ action: 'recovered', dryRun: true });
    expect(await store.get(headers['idempotency-key']!)).toBeUndefined();
    expect(await state.get(recoveryCursorKey(project.id, hook.id))).toBeUndefined();
  });

  it('reports a disabled hook and a project without the bridge hook', async () => {
    const { project, hook } = connect('acme/disabled');
    hook.alert_status = 'disabled';
    const bare = gitlab.addProject('acme/bare');
    const report = await recoverFailedDeliveries({ projects: [project.path_with_namespace, bare.path_with_namespace] }, deps());
    expect(report.hooks).toEqual([
      expect.objectContaining({ project: 'acme/disabled', state: 'disabled' }),
      expect.objectContaining({ project: 'acme/bare', hookId: null, state: 'not_connected' }),
    ]);
  });

  it('resend mode paces itself at 5 a minute per hook, and a run cut short resumes where it stopped', async () => {
    const { project, hook } = connect('acme/resend');
    const keys: string[] = [];
    for (let index = 0; index < 7; index++) {
      const headers = gitlabHeaders('Push Hook', WEBHOOK_TOKEN);
      keys.push(headers['idempotency-key']!);
      gitlab.logHookEvent(hook, {
        headers,
        data: pushEvent({ projectId: project.id, projectPath: project.path_with_namespace, branch: `resend-${index}` }),
        responseStatus: 500,
      });
    }
    const started = clock;
    // A run that may not wait past 30 s: 5 resends now, the other 2 left.
    const cut = await recoverFailedDeliveries({ projects: ['acme/resend'], mode: 'resend', deadline: new Date(started + 30_000) }, deps());
    expect(cut).toMatchObject({ scanned: 7, resent: 5, pending: 2, failed: 0 });
    expect(cut.hooks[0]?.cursorAdvanced).toBe(false);
    expect(gitlab.resends.filter((resend) => resend.hookId === hook.id)).toHaveLength(5);

    const rest = await recoverFailedDeliveries({ projects: ['acme/resend'], mode: 'resend' }, deps());
    // The 5 resent ones reached the bridge; the resends logged as successes are not listed.
    expect(rest).toMatchObject({ alreadyRecorded: 5, resent: 2, pending: 0, failed: 0 });
    expect(rest.hooks[0]?.cursorAdvanced).toBe(true);
    const resends = gitlab.requestsTo('POST', new RegExp(`/hooks/${hook.id}/events/\\d+/resend$`));
    // The second run met the first run's minute once (429), waited it out, then resent the rest.
    expect(resends).toHaveLength(8);
    expect(gitlab.resends.filter((resend) => resend.hookId === hook.id).map((resend) => resend.responseStatus)).toEqual(Array(7).fill('202'));
    for (const key of keys) expect(await store.get(key)).toBeDefined();
  });

  it('the stand-in refuses a sixth resend within a minute with 429', async () => {
    const { project, hook } = connect('acme/limit');
    const logged = gitlab.logHookEvent(hook, {
      headers: gitlabHeaders('Push Hook', WEBHOOK_TOKEN),
      data: pushEvent({ projectId: project.id }),
      responseStatus: 500,
    });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      const response = await fetch(`${gitlab.url}/api/v4/projects/${project.id}/hooks/${hook.id}/events/${logged.id}/resend`, {
        method: 'POST',
        headers: { 'PRIVATE-TOKEN': GITLAB_TOKEN },
      });
      await response.text();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });
});
