import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { SHIPPED_CONFIG_NAME } from '../../cdk/bridge-stack.js';
import { SECRET_PLACEHOLDERS } from '../../cdk/constructs/bridge-secrets.js';
import { ENV } from '../../lib/env.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { METRIC_NAMES } from '../../lib/metrics-names.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { startLocalSecretsManager, type LocalSecretsManager } from './support/secrets-manager-server.js';
import { bundledBridge, type SynthesizedBridge } from './support/synth.js';

/**
 * The recovery function as deployed: the bundle `cdk synth` wrote, run in a fresh Node process
 * with the template's environment resolved to dynalite, local SQS, a local Secrets Manager
 * holding the GitLab API token and the Slack bot token, the GitLab stand-in serving a hook's
 * event log, and the Slack stand-in for the ops notice.
 */
const RUNNER = fileURLToPath(new URL('./support/invoke-bundle.mjs', import.meta.url));
const REGION = 'us-east-1';
const API_TOKEN = 'glpat-recovery-bundle-token';
const TOKEN_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:GitLabBridge/gitlab-api-token-AbCdEf`;
const SLACK_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:GitLabBridge/slack-bot-token-AbCdEf`;
const TEAMS_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:GitLabBridge/teams-webhooks-AbCdEf`;

let synth: SynthesizedBridge;
let table: Awaited<ReturnType<typeof startTestTable>>;
let sqs: LocalSqs;
let secretsManager: LocalSecretsManager;
let gitlab: FakeGitLab;
let slack: SlackServer;
let target: { env: Record<string, string>; bundle: string };

beforeAll(async () => {
  synth = await bundledBridge();
  [table, sqs, gitlab, slack] = await Promise.all([
    startTestTable(),
    startTestQueues(),
    startFakeGitLab({ maintainerTokens: [API_TOKEN], maxPerPage: 2 }),
    startSlackServer(),
  ]);
  secretsManager = await startLocalSecretsManager({
    [TOKEN_ARN]: JSON.stringify({ token: API_TOKEN }),
    [SLACK_ARN]: slack.token,
    [TEAMS_ARN]: SECRET_PLACEHOLDERS.teams,
  });
  const { secrets } = synth.stack;
  const secretArns: Record<string, string> = {
    [synth.stack.getLogicalId(secrets.gitlabApi.node.defaultChild as never)]: TOKEN_ARN,
    [synth.stack.getLogicalId(secrets.slack.node.defaultChild as never)]: SLACK_ARN,
    [synth.stack.getLogicalId(secrets.teams.node.defaultChild as never)]: TEAMS_ARN,
  };
  const id = synth.stack.getLogicalId(synth.stack.recovery.function.node.defaultChild as never);
  const props = synth.json.Resources[id]?.Properties as { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(props.Environment.Variables)) {
    if (typeof value === 'string') {
      env[name] = value;
      continue;
    }
    const ref = (value as { Ref?: string }).Ref;
    const type = ref ? synth.json.Resources[ref]?.Type : undefined;
    if (type === 'AWS::DynamoDB::Table') env[name] = table.tableName;
    else if (type === 'AWS::SQS::Queue') env[name] = sqs.queueUrl;
    else if (type === 'AWS::SecretsManager::Secret' && ref && secretArns[ref]) env[name] = secretArns[ref];
    else throw new Error(`recovery: cannot resolve ${name} = ${JSON.stringify(value)}`);
  }
  target = { env, bundle: join(synth.outdir, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs') };
});

afterAll(async () => {
  await Promise.all([sqs?.close(), table?.close(), secretsManager?.close(), gitlab?.stop(), slack?.close()]);
  synth?.cleanup();
});

function invoke(overrides: Record<string, string> = {}): Promise<{ result: Record<string, unknown>; output: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'gitlab-bridge-recovery',
    ...target.env,
    // The stack's GITLAB_URL (-c gitlabUrl) is unset here: point it at the stand-in.
    [ENV.gitlabUrl]: gitlab.url,
    ...overrides,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [RUNNER, target.bundle], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`recovery bundle failed: ${error.message}\n${stderr}\n${stdout}`));
      const marker = stdout.lastIndexOf('@@bundle-result@@');
      if (marker < 0) return reject(new Error(`recovery bundle printed no result\n${stderr}\n${stdout}`));
      resolve({ result: JSON.parse(stdout.slice(marker + '@@bundle-result@@'.length)) as Record<string, unknown>, output: stdout.slice(0, marker) + stderr });
    });
    // EventBridge's scheduled event.
    child.stdin?.end(JSON.stringify({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} }));
  });
}

describe('recovery bundle', () => {
  it('reads the API token from Secrets Manager, recovers a failed event of a maintained project into the table and the queue, then nothing the second time', async () => {
    const project = gitlab.addProject('group/bundle');
    const hook = gitlab.addHook(project, { url: 'https://abc.execute-api.us-east-1.amazonaws.com/webhooks/gitlab' });
    gitlab.addHook(project, { url: 'https://ci.example.com/hook' });
    const headers = gitlabHeaders('Push Hook', 'redacted-anyway');
    gitlab.logHookEvent(hook, { headers, data: pushEvent({ projectId: project.id, projectPath: 'group/bundle' }), responseStatus: 'internal error' });
    gitlab.logHookEvent(hook, {
      headers: gitlabHeaders('Push Hook', 'x'),
      data: pushEvent({ projectId: project.id, projectPath: 'group/bundle' }),
      responseStatus: 200,
    });

    const first = await invoke();
    expect(first.result).toMatchObject({ scanned: 1, recovered: 1, failed: 0, hooks: [{ project: 'group/bundle', hookId: hook.id, state: 'ok' }] });
    expect(secretsManager.reads).toContain(TOKEN_ARN);
    expect(first.output).not.toContain(API_TOKEN);
    expect(first.output).toContain(METRIC_NAMES.recovered);
    // Hook health: 1 of the hook's 2 deliveries in the last hour failed.
    expect(first.output).toMatch(/"message":"hook health".*"sharePercent":50/);
    expect(first.output).toContain(METRIC_NAMES.hookFailureShare);
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    expect(await store.get(headers['idempotency-key']!)).toMatchObject({ status: 'queued', recovered: { hookId: hook.id } });
    const { Messages = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([{ v: 1, deliveryId: headers['idempotency-key'] }]);

    const second = await invoke();
    expect(second.result).toMatchObject({ recovered: 0, failed: 0 });
    // The shipped config ({ "routes": [] }) has no ops route: nothing is posted.
    expect(slack.calls).toEqual([]);
  }, 60_000);

  it('ships the routing config beside the function, like the worker and the digest function', () => {
    expect(target.env[ENV.configPath]).toMatch(new RegExp(`${SHIPPED_CONFIG_NAME}$`));
    expect(existsSync(join(target.bundle, '..', SHIPPED_CONFIG_NAME))).toBe(true);
  });

  it("tells the config's ops Slack channel about a hook GitLab disabled, once, with the bot token from Secrets Manager", async () => {
    const project = gitlab.addProject('group/ops-disabled');
    const hook = gitlab.addHook(project, { url: 'https://abc.execute-api.us-east-1.amazonaws.com/webhooks/gitlab' });
    hook.alert_status = 'disabled';
    const dir = mkdtempSync(join(tmpdir(), 'recovery-ops-config-'));
    try {
      const config = join(dir, SHIPPED_CONFIG_NAME);
      writeFileSync(config, JSON.stringify({ slack: { apiUrl: slack.apiUrl }, ops: { slack: { channel: 'C0OPS' } }, routes: [] }));
      slack.reset();
      const first = await invoke({ [ENV.configPath]: config, [ENV.recoveryProjects]: 'group/ops-disabled' });
      expect(first.result).toMatchObject({ hooks: [{ project: 'group/ops-disabled', hookId: hook.id, state: 'disabled' }] });
      const posts = slack.calls.filter((call) => call.method === 'chat.postMessage');
      expect(posts).toHaveLength(1);
      expect(posts[0]?.authorization).toBe(`Bearer ${slack.token}`);
      expect(posts[0]?.params.channel).toBe('C0OPS');
      expect(JSON.stringify(posts[0]?.params.blocks)).toContain(`group/ops-disabled hook #${hook.id} is disabled by GitLab`);
      expect(secretsManager.reads).toContain(SLACK_ARN);
      expect(first.output).not.toContain(slack.token);

      // Still disabled on the next run: already told, nothing new to post.
      await invoke({ [ENV.configPath]: config, [ENV.recoveryProjects]: 'group/ops-disabled' });
      expect(slack.calls.filter((call) => call.method === 'chat.postMessage')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs an ops notice Slack refuses and still returns the scan', async () => {
    const project = gitlab.addProject('group/ops-refused');
    const hook = gitlab.addHook(project, { url: 'https://abc.execute-api.us-east-1.amazonaws.com/webhooks/gitlab' });
    hook.alert_status = 'disabled';
    const dir = mkdtempSync(join(tmpdir(), 'recovery-ops-config-'));
    try {
      const config = join(dir, SHIPPED_CONFIG_NAME);
      writeFileSync(config, JSON.stringify({ slack: { apiUrl: slack.apiUrl }, ops: { slack: { channel: 'C0REFUSED' } }, routes: [] }));
      slack.reset();
      slack.failChannel('C0REFUSED', { error: 'channel_not_found' });
      const run = await invoke({ [ENV.configPath]: config, [ENV.recoveryProjects]: 'group/ops-refused' });
      expect(run.result).toMatchObject({ hooks: [{ project: 'group/ops-refused', state: 'disabled' }] });
      expect(run.output).toMatch(/"message":"ops notice not sent".*channel_not_found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
