import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_CONFIG_NAME } from '../../cdk/bridge-stack.js';
import { SECRET_PLACEHOLDERS } from '../../cdk/constructs/bridge-secrets.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { ENV } from '../../lib/env.js';
import { digestKey, type DigestState } from '../../lib/notify/digest.js';
import { windowsEndedBetween } from '../../lib/notify/quiet-hours.js';
import { QuietHoursSchema } from '../../lib/routing/schema.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { toSqsEvent } from '../../lib/local/queue-poller.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { METRICS_NAMESPACE, METRIC_NAMES, METRIC_SERVICE_DIMENSION } from '../../lib/metrics-names.js';
import { gitlabHeaders, readFixture } from '../support/gitlab-fixtures.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { startLocalSecretsManager, type LocalSecretsManager } from './support/secrets-manager-server.js';
import { bundledBridge, type SynthesizedBridge } from './support/synth.js';

/**
 * The functions as deployed: the bundles `cdk synth` put in the cloud assembly, each run in a
 * fresh Node process with the environment variables the template gives it (resolved to local
 * stand-ins: dynalite, local-aws-sqs, a Secrets Manager speaking its JSON protocol).
 */

const RUNNER = fileURLToPath(new URL('./support/invoke-bundle.mjs', import.meta.url));
const REGION = 'us-east-1';
const GITLAB_TOKEN = 'Q7vL2mX9pR4tW8yB3nC6dF1gH5jK0sZa';

let synth: SynthesizedBridge;
let table: Awaited<ReturnType<typeof startTestTable>>;
let sqs: LocalSqs;
let secretsManager: LocalSecretsManager;
let secretArns: Record<string, string>;

type Resolved = { env: Record<string, string>; bundle: string };
const resolved: Partial<Record<'receiver' | 'worker' | 'digest', Resolved>> = {};

function fakeSecretArn(name: string): string {
  return `arn:aws:secretsmanager:${REGION}:123456789012:secret:${name}-AbCdEf`;
}

/**
 * The function's environment from the synthesized template, each CloudFormation reference
 * replaced by what it resolves to at deploy time, here pointing at the local stand-ins.
 */
function resolveFunction(which: 'receiver' | 'worker' | 'digest'): Resolved {
  const id = synth.stack.getLogicalId(synth.stack[which].function.node.defaultChild as never);
  const props = synth.json.Resources[id]?.Properties as { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
  const assetDir = join(synth.outdir, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(props.Environment.Variables)) {
    if (typeof value === 'string') {
      // Lambda unpacks the bundle into /var/task; here it is the asset directory.
      env[name] = value.startsWith('/var/task/') ? join(assetDir, value.slice('/var/task/'.length)) : value;
      continue;
    }
    const ref = (value as { Ref?: string }).Ref;
    const type = ref ? synth.json.Resources[ref]?.Type : undefined;
    if (type === 'AWS::DynamoDB::Table') env[name] = table.tableName;
    else if (type === 'AWS::SQS::Queue') env[name] = sqs.queueUrl;
    else if (type === 'AWS::SecretsManager::Secret' && ref) env[name] = secretArns[ref] ?? '';
    else throw new Error(`${which}: cannot resolve ${name} = ${JSON.stringify(value)}`);
  }
  return { env, bundle: join(assetDir, 'index.mjs') };
}

interface Invocation<T> {
  result: T;
  /** Everything the function printed: Powertools log lines and EMF metric documents. */
  output: string;
}

function invoke<T>(which: 'receiver' | 'worker' | 'digest', event: unknown, overrides: Record<string, string> = {}): Promise<Invocation<T>> {
  const target = resolved[which];
  if (!target) throw new Error(`${which} not resolved`);
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: `gitlab-bridge-${which}`,
    ...target.env,
    ...overrides,
  };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [RUNNER, target.bundle], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${which} bundle failed: ${error.message}\n${stderr}\n${stdout}`));
        return;
      }
      const marker = stdout.lastIndexOf('@@bundle-result@@');
      if (marker < 0) {
        reject(new Error(`${which} bundle printed no result\n${stderr}\n${stdout}`));
        return;
      }
      resolve({ result: JSON.parse(stdout.slice(marker + '@@bundle-result@@'.length)) as T, output: stdout.slice(0, marker) + stderr });
    });
    child.stdin?.end(JSON.stringify(event));
  });
}

/** EMF documents (CloudWatch Embedded Metric Format) among the function's output lines. */
function emfMetrics(output: string): { namespace: string; names: string[]; dimensions: string[][]; values: Record<string, unknown> }[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map(
      (line) =>
        JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<
          string,
          unknown
        >,
    )
    .flatMap((doc) =>
      doc._aws.CloudWatchMetrics.map((directive) => ({
        namespace: directive.Namespace,
        names: directive.Metrics.map((metric) => metric.Name),
        dimensions: directive.Dimensions,
        values: doc,
      })),
    );
}

function httpApiEvent(headers: Record<string, string>, body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${WEBHOOK_PATH}`,
    rawPath: WEBHOOK_PATH,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      domainName: 'abc123defg.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123defg',
      http: { method: 'POST', path: WEBHOOK_PATH, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: headers['user-agent'] ?? '' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: `POST ${WEBHOOK_PATH}`,
      stage: '$default',
      time: '26/Nov/2026:01:02:03 +0000',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

// The run's one bundled synth (three functions since the digest one) can take longer than the
// default hook timeout on a loaded 2-core machine.
beforeAll(async () => {
  synth = await bundledBridge();

  [table, sqs] = await Promise.all([startTestTable('bundle-deliveries'), startTestQueues({ queueName: 'bundle-handoff' })]);
  const { secrets } = synth.stack;
  secretArns = {
    [synth.stack.getLogicalId(secrets.gitlab.node.defaultChild as never)]: fakeSecretArn(secrets.names.gitlab),
    [synth.stack.getLogicalId(secrets.slack.node.defaultChild as never)]: fakeSecretArn(secrets.names.slack),
    [synth.stack.getLogicalId(secrets.teams.node.defaultChild as never)]: fakeSecretArn(secrets.names.teams),
    [synth.stack.getLogicalId(secrets.jira.node.defaultChild as never)]: fakeSecretArn(secrets.names.jira),
    [synth.stack.getLogicalId(secrets.gitlabApi.node.defaultChild as never)]: fakeSecretArn(secrets.names.gitlabApi),
  };
  // The values a fresh deployment holds: the generated token (here a fixed one) and the placeholders.
  secretsManager = await startLocalSecretsManager({
    [fakeSecretArn(secrets.names.gitlab)]: GITLAB_TOKEN,
    [fakeSecretArn(secrets.names.slack)]: SECRET_PLACEHOLDERS.slack,
    [fakeSecretArn(secrets.names.teams)]: SECRET_PLACEHOLDERS.teams,
    [fakeSecretArn(secrets.names.jira)]: SECRET_PLACEHOLDERS.jira,
    [fakeSecretArn(secrets.names.gitlabApi)]: SECRET_PLACEHOLDERS.gitlabApi,
  });
  resolved.receiver = resolveFunction('receiver');
  resolved.worker = resolveFunction('worker');
  resolved.digest = resolveFunction('digest');
}, 90_000);

afterAll(async () => {
  await Promise.all([sqs?.close(), table?.close(), secretsManager?.close()]);
  synth?.cleanup();
});

describe('synthesized bundles', () => {
  it('are single ESM files with source maps, with the routing config beside the worker', () => {
    for (const which of ['receiver', 'worker'] as const) {
      const bundle = resolved[which]?.bundle ?? '';
      expect(existsSync(bundle), bundle).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
    }
    expect(resolved.worker?.env[ENV.configPath]).toMatch(new RegExp(`${SHIPPED_CONFIG_NAME}$`));
    expect(existsSync(resolved.worker?.env[ENV.configPath] ?? '')).toBe(true);
  });

  it('receiver bundle refuses a wrong token with 401 and records nothing', async () => {
    const body = JSON.stringify(readFixture('push--basic.json'));
    const headers = gitlabHeaders('Push Hook', 'not-the-token');
    const { result, output } = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, body));
    expect(result.statusCode).toBe(401);
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
    const rejected = emfMetrics(output).filter((metric) => metric.names.includes(METRIC_NAMES.rejected));
    expect(rejected.length).toBeGreaterThan(0);
    expect(output).not.toContain(GITLAB_TOKEN);
  });

  it('receiver bundle behind a function URL (the variable -c endpoint=functionUrl sets) answers 404 for another path with a valid token, recording nothing; a value it does not know fails its cold start', async () => {
    const body = JSON.stringify(readFixture('push--basic.json'));
    const furl = { [ENV.webhookEndpoint]: 'functionUrl' };
    const headers = gitlabHeaders('Push Hook', GITLAB_TOKEN);
    const event = (path: string) => ({ ...httpApiEvent(headers, body), routeKey: '$default', rawPath: path });
    const stray = await invoke<APIGatewayProxyResult>('receiver', event('/wp-login.php'), furl);
    expect(stray.result.statusCode).toBe(404);
    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
    await expect(invoke('receiver', event(WEBHOOK_PATH), { [ENV.webhookEndpoint]: 'rest' })).rejects.toThrow(
      `${ENV.webhookEndpoint}: "rest" is not one of api, functionUrl`,
    );
  });

  it('receiver bundle accepts a push through the HTTP API event, records it and queues it; the worker bundle processes it', async () => {
    const body = JSON.stringify(readFixture('push--basic.json'));
    const headers = gitlabHeaders('Push Hook', GITLAB_TOKEN);
    const received = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, body));
    expect(received.result.statusCode).toBe(202);
    const deliveryId = (JSON.parse(received.result.body) as { deliveryId: string }).deliveryId;
    expect(deliveryId).toBe(headers['idempotency-key']);

    const store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    const recorded = await store.get(deliveryId);
    expect(recorded).toMatchObject({ id: deliveryId, status: 'queued', event: 'Push Hook' });
    expect(JSON.stringify(recorded?.headers)).not.toContain(GITLAB_TOKEN);
    expect(received.output).not.toContain(GITLAB_TOKEN);
    // The receiver read its token from the secret the template names, through the real SDK.
    expect(secretsManager.reads).toContain(fakeSecretArn(synth.stack.secrets.names.gitlab));
    // The metric the dashboard charts, in the namespace and with the dimension the alarms use.
    expect(emfMetrics(received.output)).toContainEqual(
      expect.objectContaining({ namespace: METRICS_NAMESPACE, names: [METRIC_NAMES.received], dimensions: [[METRIC_SERVICE_DIMENSION]] }),
    );

    const { Messages: messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
    );
    expect(messages).toHaveLength(1);
    const [message] = messages as [NonNullable<typeof messages>[number]];
    const sqsEvent = toSqsEvent([message], `arn:aws:sqs:${REGION}:123456789012:bundle-handoff`);
    const worked = await invoke<SQSBatchResponse>('worker', sqsEvent);
    expect(worked.result).toEqual({ batchItemFailures: [] });
    const processed = await store.get(deliveryId);
    expect(processed?.attempts).toBe(1);
    expect(['done', 'ignored', 'partial']).toContain(processed?.status);
    const workerMetrics = emfMetrics(worked.output).flatMap((metric) => metric.names);
    expect(workerMetrics).toContain(METRIC_NAMES.processed);
    expect(workerMetrics).toContain(METRIC_NAMES.latency);
  });

  describe('log lines per delivery (issue 15: CloudWatch Logs is billed per byte)', () => {
    /** The function's output as JSON lines (the invoke runner's blank line before its marker dropped). */
    const lines = (output: string) =>
      output
        // The AWS SDK's notice about the Node 20 running these tests (Lambda runs nodejs24.x), once per process on stderr.
        .replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?to show where the warning was created\)/, '')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const metricNames = (line: Record<string, unknown>) =>
      (line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.map((metric) => metric.Name),
      );

    it('a handled delivery writes one line in the receiver and one in the worker: the counts (EMF) and the summary together, no secret', async () => {
      const headers = gitlabHeaders('Push Hook', GITLAB_TOKEN);
      const received = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, JSON.stringify(readFixture('push--basic.json'))));
      expect(received.result.statusCode).toBe(202);
      const receiverLines = lines(received.output);
      expect(receiverLines).toHaveLength(1);
      const [receiverLine] = receiverLines as [Record<string, unknown>];
      expect(metricNames(receiverLine)).toEqual([METRIC_NAMES.received]);
      expect(receiverLine).toMatchObject({
        [METRIC_NAMES.received]: 1,
        [METRIC_SERVICE_DIMENSION]: 'receiver',
        deliveryId: headers['idempotency-key'],
        event: 'Push Hook',
        project: 'mike/diaspora',
        status: 'queued',
        ms: expect.any(Number),
      });
      expect(received.output).not.toContain(GITLAB_TOKEN);

      const { Messages: messages = [] } = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
      );
      expect(messages).toHaveLength(1);
      const worked = await invoke<SQSBatchResponse>('worker', toSqsEvent(messages, `arn:aws:sqs:${REGION}:123456789012:bundle-handoff`));
      expect(worked.result).toEqual({ batchItemFailures: [] });
      const workerLines = lines(worked.output);
      const emf = workerLines.filter((line) => '_aws' in line);
      // Every metric of the delivery in one flush, on the line that describes it.
      expect(emf).toHaveLength(1);
      const [summary] = emf as [Record<string, unknown>];
      expect(metricNames(summary).sort()).toEqual([METRIC_NAMES.processed, METRIC_NAMES.latency].sort());
      expect(summary).toMatchObject({
        [METRIC_SERVICE_DIMENSION]: 'worker',
        deliveryId: headers['idempotency-key'],
        event: 'Push Hook',
        project: 'mike/diaspora',
        status: expect.any(String),
        ms: expect.any(Number),
        latencyMs: expect.any(Number),
      });
      // Anything else is a warning or an error with its own details, never an info step.
      for (const line of workerLines.filter((line) => !('_aws' in line))) expect(['WARN', 'ERROR']).toContain(line.level);
      if (summary.status === 'done') expect(workerLines).toHaveLength(1);
      expect(worked.output).not.toContain(GITLAB_TOKEN);
    });

    it('an ignored delivery writes one line with both counts', async () => {
      const headers = gitlabHeaders('Wiki Page Hook', GITLAB_TOKEN);
      const received = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, JSON.stringify(readFixture('wiki_page--create.json'))));
      expect(received.result.statusCode).toBe(202);
      const receiverLines = lines(received.output);
      expect(receiverLines).toHaveLength(1);
      const [line] = receiverLines as [Record<string, unknown>];
      expect(metricNames(line).sort()).toEqual([METRIC_NAMES.received, METRIC_NAMES.ignored].sort());
      expect(line).toMatchObject({ deliveryId: headers['idempotency-key'], event: 'Wiki Page Hook', status: 'ignored' });
      expect(received.output).not.toContain(GITLAB_TOKEN);
    });

    it('writes each step as its own line at debug level (POWERTOOLS_LOG_LEVEL=DEBUG), still without a secret', async () => {
      const headers = gitlabHeaders('Push Hook', GITLAB_TOKEN);
      const received = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, JSON.stringify(readFixture('push--basic.json'))), {
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
      expect(received.result.statusCode).toBe(202);
      const steps = lines(received.output).filter((line) => line.level === 'DEBUG');
      expect(steps.map((line) => line.message)).toEqual(expect.arrayContaining(['delivery recorded', 'delivery queued']));
      expect(received.output).not.toContain(GITLAB_TOKEN);
      // Drain the queue so the next test's receive sees only its own message.
      const { Messages: messages = [] } = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const worked = await invoke<SQSBatchResponse>('worker', toSqsEvent(messages, `arn:aws:sqs:${REGION}:123456789012:bundle-handoff`), {
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
      expect(worked.result).toEqual({ batchItemFailures: [] });
      expect(worked.output).not.toContain(GITLAB_TOKEN);
    });
  });

  it('receiver bundle answers 503 within seconds when DynamoDB accepts the connection and never answers', async () => {
    // Without bounds the SDK waits forever: the function would hang until its Lambda timeout and
    // GitLab (10 s) would see a timeout instead of an answer.
    const stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', () => resolve()));
    try {
      const endpoint = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
      const headers = gitlabHeaders('Push Hook', GITLAB_TOKEN);
      const { result } = await invoke<APIGatewayProxyResult>('receiver', httpApiEvent(headers, JSON.stringify(readFixture('push--basic.json'))), {
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      });
      expect(result.statusCode).toBe(503);
    } finally {
      stalled.closeAllConnections();
      await new Promise<void>((resolve) => stalled.close(() => resolve()));
    }
  }, 60_000);
});

describe('digest bundle', () => {
  it('starts with the shipped config and, with no quiet hours configured, posts nothing', async () => {
    expect(resolved.digest?.env[ENV.configPath]).toMatch(new RegExp(`${SHIPPED_CONFIG_NAME}$`));
    const { result } = await invoke<{ posted: number }>('digest', {});
    expect(result).toEqual({ posted: 0 });
  });

  it('finds a due digest in the table and, with the Slack secret still a placeholder, logs why it was not posted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digest-config-'));
    try {
      const quietHours = { timezone: 'Europe/Berlin', from: '19:00', to: '08:00' };
      const config = join(dir, 'bridge.config.json');
      writeFileSync(config, JSON.stringify({ routes: [{ slack: { channel: 'C0DIGEST' }, options: { quietHours } }] }));
      const now = new Date();
      const window = windowsEndedBetween(QuietHoursSchema.parse(quietHours), new Date(now.getTime() - 86_400_000), now).at(-1)!;
      const key = digestKey({ id: 'slack:C0DIGEST' }, window.end);
      const state = new DynamoDbStateStore(table.client, table.tableName);
      await state.put<DigestState>(key, {
        target: { kind: 'slack', channel: 'C0DIGEST' },
        end: window.end.toISOString(),
        endLabel: '08:00 Europe/Berlin',
        items: [{ key: 'slack:C0DIGEST:mr:1@acme/api:1:opened', text: 'MR !1 opened', url: 'https://gitlab.example.com/acme/api/-/merge_requests/1' }],
      });
      const { result, output } = await invoke<{ posted: number }>('digest', {}, { [ENV.configPath]: config });
      expect(result).toEqual({ posted: 0 });
      expect(output).toContain('quiet-hours digest not posted');
      expect(output).toContain('no Slack bot token is configured');
      expect((await state.get<DigestState>(key))?.postedAt).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
