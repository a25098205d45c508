import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config/resolve.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startLocalBridge, type LocalBridge } from '../../lib/local/bridge.js';
import { LOCAL_AWS, LOCAL_TABLE_NAME } from '../../lib/local/names.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * The whole product on one machine, as `npm start` runs it with real Slack credentials: GitLab's
 * HTTP request -> receiver -> dynalite -> local SQS -> worker -> @slack/web-api -> Slack's wire.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));
let slack: SlackServer;
let bridge: LocalBridge;
let store: DynamoDbDeliveryStore;
let sqs: SQSClient;

beforeAll(async () => {
  slack = await startSlackServer();
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl };
  bridge = await startLocalBridge({
    port: 0,
    dataDir,
    tokens: ['e2e-token'],
    config: resolveConfig(env),
    credentials: credentialsFromEnv(env),
    print: () => {},
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
  sqs = new SQSClient({ ...LOCAL_AWS, endpoint: bridge.sqsEndpoint });
});

afterAll(async () => {
  sqs.destroy();
  await bridge.stop();
  await slack.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function deliver(payload: Record<string, unknown>, headers: Record<string, string>): Promise<string> {
  const response = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: JSON.stringify(payload) });
  expect(response.status).toBe(202);
  const id = headers['idempotency-key'] ?? '';
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const record = await store.get(id);
    if (record && !['queued', 'processing'].includes(record.status)) return id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`delivery ${id} was not processed in time`);
}

/** Waits until the bridge's queue holds no message, visible, in flight or delayed: the worker has nothing left to do. */
async function queueDrained(): Promise<void> {
  const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: bridge.queueUrl, AttributeNames: [...names] }));
    if (names.every((name) => Number(Attributes[name] ?? '0') === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the local queue was not drained in time');
}

describe('npm start with Slack credentials, end to end', () => {
  it('posts one failure notice, and GitLab resending the same delivery posts nothing more', async () => {
    const headers = gitlabHeaders('Pipeline Hook', 'e2e-token');
    const failed = pipelineEvent({ id: 9001, ref: 'master', status: 'failed', failedJobs: 2, commitTitle: 'Break <the> build' });
    const id = await deliver(failed, headers);
    const record = await store.get(id);
    expect(record?.status).toBe('done');
    expect(record?.outcomes).toEqual([
      expect.objectContaining({ kind: 'slack', status: 'sent', key: 'slack:#ci:pipeline:1@gitlab-org/gitlab-test:9001:failed:20160812152629' }),
    ]);
    const posts = slack.calls.filter((call) => call.method === 'chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.authorization).toBe(`Bearer ${slack.token}`);
    expect(String(posts[0]?.params.text)).toContain('Break &lt;the&gt; build');

    // GitLab's "Resend request": same Idempotency-Key. Acknowledged, not processed again.
    const resend = await fetch(bridge.webhookUrl, { method: 'POST', headers, body: JSON.stringify(failed) });
    expect(resend.status).toBe(200);
    expect(await resend.json()).toMatchObject({ duplicate: true, status: 'done' });
    // A resend that was queued would be in the queue until the worker had posted it.
    await queueDrained();
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('a Slack 429 with Retry-After costs one of the five attempts, as in AWS: three in a row still end in one post', async () => {
    const project = { projectId: 4343, projectPath: 'acme/rate-limited' };
    // Each 429 is applied as the message's visibility (ChangeMessageVisibility). Counted as a
    // receive too (local-aws-sqs did), the third attempt would be the fifth and the last.
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, 3);
    const posted = slack.calls.filter((call) => call.method === 'chat.postMessage').length;
    const id = await deliver(
      pipelineEvent({ id: 9101, ref: 'master', status: 'failed', failedJobs: 1, ...project }),
      gitlabHeaders('Pipeline Hook', 'e2e-token'),
    );
    const record = await store.get(id);
    expect(record).toMatchObject({ status: 'done', attempts: 4 });
    expect(record?.outcomes).toEqual([expect.objectContaining({ kind: 'slack', status: 'sent', attempts: 4 })]);
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage').length - posted).toBe(4);
  }, 20_000);

  it('threads the recovery under the failure notice when the branch goes green', async () => {
    // Its own project, so it needs no failure from another test: it runs alone (-t) or in the file.
    const project = { projectId: 4242, projectPath: 'acme/recovery' };
    await deliver(pipelineEvent({ id: 9003, ref: 'master', status: 'failed', failedJobs: 1, ...project }), gitlabHeaders('Pipeline Hook', 'e2e-token'));
    await deliver(pipelineEvent({ id: 9004, ref: 'master', status: 'success', ...project }), gitlabHeaders('Pipeline Hook', 'e2e-token'));
    const parent = slack.channelMessages(slack.channelId('#ci')).find((message) => message.text.includes('9003'));
    expect(parent).toBeDefined();
    expect(slack.replies(parent?.ts ?? '')).toHaveLength(1);
    expect(slack.calls.some((call) => call.method === 'chat.update' && call.params.ts === parent?.ts)).toBe(true);
  });
});
