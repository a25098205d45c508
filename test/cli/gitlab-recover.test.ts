import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { webhookAuthFromEnv } from '../../lib/gitlab/webhook-auth.js';
import { startHttpAdapter } from '../../lib/local/http-adapter.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { createApiGatewayHandler } from '../../lib/receiver/api-gateway.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli, localEnv } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;

const MAINTAINER = 'glpat-recover-maintainer';
const BRIDGE_TOKEN = 'bridge-recover-token';

describe('gitlab recover', () => {
  let gitlab: FakeGitLab;
  let table: TestTable;
  let sqs: LocalSqs;
  let receiver: Server;
  let store: DynamoDbDeliveryStore;
  let env: Record<string, string>;
  let webhookUrl: string;

  beforeAll(async () => {
    gitlab = await startFakeGitLab({ maintainerTokens: [MAINTAINER], maxPerPage: 2 });
    table = await startTestTable();
    sqs = await startTestQueues();
    store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    const handler = createApiGatewayHandler({
      deliveries: store,
      queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
      auth: async () => webhookAuthFromEnv(BRIDGE_TOKEN, undefined),
    });
    const adapter = await startHttpAdapter({ handler, port: 0, host: '127.0.0.1', maxBodyBytes: DEFAULTS.maxBodyBytes, healthy: () => true });
    receiver = adapter.server;
    webhookUrl = `${adapter.url}${WEBHOOK_PATH}`;
    env = localEnv(
      { dynamo: table.endpoint, sqs: sqs.endpoint },
      { GITLAB_URL: gitlab.url, GITLAB_TOKEN: MAINTAINER, BRIDGE_WEBHOOK_URL: webhookUrl, BRIDGE_TABLE_NAME: table.tableName, BRIDGE_QUEUE_URL: sqs.queueUrl },
    );
  });

  afterAll(async () => {
    await gitlab?.stop();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await sqs?.close();
    await table?.close();
  });

  it('--dry-run, then a run, then a second run: a summary table, JSON counts and detail, and nothing recovered twice', async () => {
    const project = gitlab.addProject('group/recover');
    const hook = gitlab.addHook(project, { url: webhookUrl, token: BRIDGE_TOKEN });
    const headers = gitlabHeaders('Push Hook', BRIDGE_TOKEN);
    gitlab.logHookEvent(hook, { headers, data: pushEvent({ projectId: project.id, projectPath: 'group/recover' }), responseStatus: 'internal error' });
    gitlab.logHookEvent(hook, {
      headers: gitlabHeaders('Push Hook', BRIDGE_TOKEN),
      data: pushEvent({ projectId: project.id, projectPath: 'group/recover', branch: 'b' }),
      responseStatus: 200,
    });

    const dry = await cli(env, ['gitlab', 'recover', '--project', 'group/recover', '--dry-run']);
    expect(dry.stderr).toContain('recover (dry run) 1/1: group/recover');
    expect(
      dry.stdout
        .split('\n')
        .slice(0, 2)
        .map((line) => line.trim().split(/\s{2,}/)),
    ).toEqual([
      ['SCANNED', 'ALREADY RECORDED', 'RECOVERED', 'RESENT', 'FAILED'],
      ['1', '0', '1', '0', '0'],
    ]);
    expect(dry.stdout).toContain('Dry run');
    expect(await store.get(headers['idempotency-key']!)).toBeUndefined();

    const run = await cli(env, ['gitlab', 'recover', '--project', 'group/recover', '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ scanned: 1, alreadyRecorded: 0, recovered: 1, resent: 0, failed: 0 });
    expect(json.events).toEqual([
      expect.objectContaining({
        project: 'group/recover',
        hookId: hook.id,
        deliveryId: headers['idempotency-key'],
        responseStatus: 'internal error',
        action: 'recovered',
      }),
    ]);
    expect(await store.get(headers['idempotency-key']!)).toMatchObject({ status: 'queued', recovered: { hookId: hook.id } });

    const show = await cli(env, ['deliveries', 'show', headers['idempotency-key']!]);
    expect(show.stdout).toMatch(/Source:\s+recovered from GitLab's hook event log \(hook #\d+, event \d+\)/);

    const again = await cli(env, ['gitlab', 'recover', '--project', 'group/recover', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ recovered: 0, failed: 0 });
  });

  it('--resend has GitLab resend the failed event to the bridge', async () => {
    const project = gitlab.addProject('group/resend');
    const hook = gitlab.addHook(project, { url: webhookUrl, token: BRIDGE_TOKEN });
    const headers = gitlabHeaders('Push Hook', BRIDGE_TOKEN);
    gitlab.logHookEvent(hook, { headers, data: pushEvent({ projectId: project.id, projectPath: 'group/resend' }), responseStatus: 504 });
    const run = await cli(env, ['gitlab', 'recover', '--project', 'group/resend', '--resend']);
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .split('\n')[1]
        ?.trim()
        .split(/\s{2,}/),
    ).toEqual(['1', '0', '0', '1', '0']);
    expect(gitlab.resends).toEqual([expect.objectContaining({ hookId: hook.id, responseStatus: '202' })]);
    const record = await store.get(headers['idempotency-key']!);
    expect(record?.recovered).toBeUndefined();
    expect(record?.status).toBe('queued');
  });

  it('exits 1 and says why when the hook is disabled', async () => {
    const project = gitlab.addProject('group/off');
    gitlab.addHook(project, { url: webhookUrl, alert_status: 'disabled' });
    const run = await cli(env, ['gitlab', 'recover', '--project', 'group/off']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('group/off hook #');
    expect(run.stdout).toContain('GitLab logs nothing');
  });
});
