import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * `npm start` with GITLAB_API_TOKEN and GITLAB_URL set: the local bridge builds the real GitLab
 * client from them, and a failure notice gets its job's log excerpt in its thread, read from the
 * GitLab stand-in over HTTP.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'bridge-gitlab-api-'));
const TOKEN = 'glpat-localbridge000000000';
let slack: SlackServer;
let gitlab: FakeGitLab;
let bridge: LocalBridge;

beforeAll(async () => {
  slack = await startSlackServer();
  gitlab = await startFakeGitLab({ maintainerTokens: [TOKEN] });
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl, GITLAB_API_TOKEN: TOKEN };
  bridge = await startLocalBridge({
    port: 0,
    dataDir,
    tokens: ['local-token'],
    config: resolveConfig(env),
    credentials: credentialsFromEnv(env),
    gitlabUrl: gitlab.url,
    print: () => {},
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
});

afterAll(async () => {
  await bridge.stop();
  await Promise.all([slack.close(), gitlab.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with a GitLab API token', () => {
  it("puts the failed job's log excerpt in the failure notice's thread", async () => {
    const payload = pipelineEvent({ projectId: 4242, id: 31, ref: 'master', status: 'failed', failedJobs: [{ name: 'rspec' }] });
    gitlab.setTrace(4242, 31 * 1000 + 2, '\u001b[31mFAIL spec/app_spec.rb:12\u001b[0m\nERROR: Job failed: exit code 1\n');
    const headers = gitlabHeaders('Pipeline Hook', 'local-token');
    expect((await fetch(bridge.webhookUrl, { method: 'POST', headers, body: JSON.stringify(payload) })).status).toBe(202);

    const store = new DynamoDbDeliveryStore({ client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint }), tableName: LOCAL_TABLE_NAME });
    const until = Date.now() + 15_000;
    let record = await store.get(headers['idempotency-key']!);
    while (record?.status !== 'done' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await store.get(headers['idempotency-key']!);
    }
    expect(record?.status).toBe('done');
    const parent = slack.messages.find((message) => message.threadTs === undefined)!;
    const replies = slack.replies(parent.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text + JSON.stringify(replies[0])).toContain('FAIL spec/app_spec.rb:12');
    expect(gitlab.requestsTo('GET', /\/jobs\/\d+\/trace$/)[0]!.headers['private-token']).toBe(TOKEN);
  });
});
