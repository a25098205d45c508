import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeApp } from '../../cdk/bridge-app.js';
import { DIGEST_EVERY, RECEIVER_TIMEOUT, SHIPPED_CONFIG_NAME, WORKER_BATCH_SIZE, WORKER_TIMEOUT } from '../../cdk/bridge-stack.js';
import { DEFAULT_WORKER_MEMORY_MB } from '../../cdk/settings.js';
import { SECRET_PLACEHOLDERS } from '../../cdk/constructs/bridge-secrets.js';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../cdk/constructs/delivery-queue.js';
import {
  CLIENT_ERROR_RATE_ALARM_PERCENT,
  MIN_REQUESTS_FOR_RATE,
  SLACK_REJECTED_ALARM_COUNT,
  THROTTLED_RATE_ALARM_PERCENT,
} from '../../cdk/constructs/monitoring.js';
import { THROTTLED_METRIC_NAME } from '../../cdk/constructs/webhook-api.js';
import { SLACK_INTERACTIONS_PATH, WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { TABLE } from '../../lib/deliveries/table.js';
import { ENV } from '../../lib/env.js';
import { ConfigError } from '../../lib/errors.js';
import { METRICS_NAMESPACE, METRIC_NAMES } from '../../lib/metrics-names.js';
import { PLACEHOLDER_PREFIX } from '../../lib/secrets/credentials.js';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../../lib/stack-outputs.js';
import { startTestTable } from '../support/local-aws.js';
import { bundledBridge, onlyResource, resourcesOfType, synthBridge, type SynthesizedBridge, type TemplateJson } from './support/synth.js';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const configDir = mkdtempSync(join(tmpdir(), 'bridge-config-'));

let synth: Awaited<ReturnType<typeof bundledBridge>>;
let configPath: string;
const outdirs: string[] = [];
function tempOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-cdk-'));
  outdirs.push(dir);
  return dir;
}

// The run's one bundled synth (three functions since the digest one) can take longer than the
// default hook timeout on a loaded 2-core machine.
beforeAll(async () => {
  synth = await bundledBridge();
  configPath = synth.configPath;
  // The first synth in a process loads cdk-nag and aws-cdk-lib's validation (~10 s on a busy
  // 2-core machine, then ~0.1 s a synth): pay it here, so each test's time is its own synth.
  synth.app.synth();
}, 90_000);
afterAll(() => {
  synth?.cleanup();
  for (const dir of [configDir, ...outdirs]) rmSync(dir, { recursive: true, force: true });
});

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return synth.stack.getLogicalId(construct.node.defaultChild as Parameters<typeof synth.stack.getLogicalId>[0]);
}

function functionProps(which: 'receiver' | 'worker' | 'digest'): Record<string, unknown> {
  const id = logicalIdOf(synth.stack[which].function);
  const resource = synth.json.Resources[id];
  if (!resource?.Properties) throw new Error(`no function ${id}`);
  return resource.Properties;
}

function statementsOf(which: 'receiver' | 'worker' | 'digest'): Statement[] {
  const roleId = logicalIdOf(synth.stack[which].role);
  return resourcesOfType(synth.json, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const refTo = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });

describe('Lambda functions', () => {
  it.each(['receiver', 'worker', 'digest'] as const)('%s runs Node 24 on arm64 with active tracing and ESM bundle entry', (which) => {
    const props = functionProps(which);
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.Handler).toBe('index.handler');
    expect(props.LoggingConfig).toEqual({ LogGroup: refTo(synth.stack[which].logGroup) });
  });

  it('gives the receiver a short timeout under GitLab’s 10 s webhook timeout, and the worker a longer one', () => {
    expect(functionProps('receiver').Timeout).toBe(RECEIVER_TIMEOUT.toSeconds());
    expect(RECEIVER_TIMEOUT.toSeconds()).toBeLessThanOrEqual(10);
    expect(functionProps('worker').Timeout).toBe(WORKER_TIMEOUT.toSeconds());
  });

  it('gives the receiver 512 MB (its cold start answers GitLab within 10 s) and the worker, which mostly waits on I/O, 256 MB', () => {
    expect(functionProps('receiver').MemorySize).toBe(512);
    expect(DEFAULT_WORKER_MEMORY_MB).toBe(256);
    expect(functionProps('worker').MemorySize).toBe(DEFAULT_WORKER_MEMORY_MB);
  });

  it('reserves receiver concurrency at the API burst limit (a flood cannot starve the worker, nor be starved), and leaves the worker unreserved', () => {
    expect(functionProps('receiver').ReservedConcurrentExecutions).toBe(100);
    expect(functionProps('worker').ReservedConcurrentExecutions).toBeUndefined();
  });

  it('keeps function and access logs for a month (receiver, worker, recovery, digest, API access)', () => {
    const logGroups = resourcesOfType(synth.json, 'AWS::Logs::LogGroup');
    // Receiver, worker, recovery, digest function, API access logs.
    expect(logGroups).toHaveLength(5);
    for (const [, group] of logGroups) expect(group.Properties?.RetentionInDays).toBe(30);
  });

  it('sets only variable names from lib/env.ts, and secret ids as references, never values', () => {
    const allowed = new Set<string>([...Object.values(ENV), 'NODE_OPTIONS']);
    for (const which of ['receiver', 'worker', 'digest'] as const) {
      const variables = (functionProps(which).Environment as { Variables: Record<string, unknown> }).Variables;
      for (const name of Object.keys(variables)) expect(allowed, `${which} sets ${name}`).toContain(name);
      for (const name of [ENV.gitlabSecretId, ENV.slackSecretId, ENV.teamsSecretId, ENV.jiraSecretId, ENV.gitlabApiSecretId]) {
        if (name in variables) expect(variables[name]).toEqual({ Ref: expect.stringMatching(/^Secrets/) });
      }
    }
    const receiverVars = (functionProps('receiver').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(receiverVars[ENV.gitlabSecretId]).toEqual(refTo(synth.stack.secrets.gitlab));
    expect(receiverVars[ENV.tableName]).toEqual(refTo(synth.stack.table.table));
    expect(receiverVars[ENV.queueUrl]).toEqual(refTo(synth.stack.queues.queue));
    expect(receiverVars[ENV.retentionDays]).toBe('30');
  });

  it('ships the validated routing config inside the worker bundle and points BRIDGE_CONFIG at it', () => {
    const variables = (functionProps('worker').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[ENV.configPath]).toBe(`/var/task/${SHIPPED_CONFIG_NAME}`);
    const s3Key = (functionProps('worker').Code as { S3Key: string }).S3Key;
    const assetDir = join(synth.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    expect(readFileSync(join(assetDir, SHIPPED_CONFIG_NAME), 'utf8')).toBe(readFileSync(configPath, 'utf8'));
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8').startsWith("import { createRequire } from 'module';")).toBe(true);
  });
});

describe('quiet-hours digest schedule', () => {
  it('runs the digest function every 5 minutes, with the worker’s routing config, and lets only EventBridge invoke it', () => {
    const rule = resourcesOfType(synth.json, 'AWS::Events::Rule').find(([, candidate]) =>
      JSON.stringify(candidate.Properties?.Targets).includes(logicalIdOf(synth.stack.digest.function)),
    )![1];
    expect(DIGEST_EVERY.toMinutes()).toBe(5);
    expect(rule.Properties?.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Properties?.Targets).toEqual([expect.objectContaining({ Arn: arnOf(synth.stack.digest.function), RetryPolicy: { MaximumRetryAttempts: 0 } })]);
    const permissions = resourcesOfType(synth.json, 'AWS::Lambda::Permission').filter(
      ([, permission]) => JSON.stringify(permission.Properties?.FunctionName) === JSON.stringify(arnOf(synth.stack.digest.function)),
    );
    expect(permissions.map(([, permission]) => permission.Properties?.Principal)).toEqual(['events.amazonaws.com']);
    const variables = (functionProps('digest').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[ENV.configPath]).toBe(`/var/task/${SHIPPED_CONFIG_NAME}`);
    expect(variables[ENV.tableName]).toEqual(refTo(synth.stack.table.table));
  });
});

describe('DynamoDB table', () => {
  it('is on-demand with TTL, point-in-time recovery, deletion protection and RETAIN', () => {
    synth.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    });
  });

  it('has the same keys and indexes as the table the local bridge creates in dynalite', async () => {
    const local = await startTestTable('layout-check');
    try {
      const described = (await local.client.send(new DescribeTableCommand({ TableName: local.tableName }))).Table;
      const deployed = onlyResource(synth.json, 'AWS::DynamoDB::Table');
      expect(deployed.Properties.KeySchema).toEqual(described?.KeySchema);
      const sortByName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[]) =>
        [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
      expect(sortByName(deployed.Properties.AttributeDefinitions as { AttributeName: string }[])).toEqual(sortByName(described?.AttributeDefinitions ?? []));
      const localIndexes = (described?.GlobalSecondaryIndexes ?? []).map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: { ProjectionType: index.Projection?.ProjectionType, NonKeyAttributes: [...(index.Projection?.NonKeyAttributes ?? [])].sort() },
      }));
      const deployedIndexes = (
        deployed.Properties.GlobalSecondaryIndexes as {
          IndexName: string;
          KeySchema: unknown;
          Projection: { ProjectionType: string; NonKeyAttributes: string[] };
        }[]
      ).map((index) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
        Projection: { ProjectionType: index.Projection.ProjectionType, NonKeyAttributes: [...index.Projection.NonKeyAttributes].sort() },
      }));
      expect(sortByName(deployedIndexes)).toEqual(sortByName(localIndexes));
      expect(deployedIndexes.map((index) => index.IndexName).sort()).toEqual([TABLE.byProjectIndex, TABLE.byStatusIndex].sort());
    } finally {
      await local.close();
    }
  });
});

describe('SQS queue and dead-letter queue', () => {
  it('has a visibility timeout of 6x the worker timeout and redrives to the DLQ after maxAttempts', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: WORKER_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR,
      RedrivePolicy: { deadLetterTargetArn: arnOf(synth.stack.queues.deadLetterQueue), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6);
  });

  it('encrypts both queues and denies every non-TLS request', () => {
    const queues = resourcesOfType(synth.json, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    for (const [id, queue] of queues) {
      expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('feeds the worker with partial batch responses and a concurrency cap', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(synth.stack.queues.queue),
      FunctionName: refTo(synth.stack.worker.function),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: WORKER_BATCH_SIZE,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });
});

describe('least privilege', () => {
  it('grants "*" resources only to X-Ray, and no wildcard actions at all', () => {
    for (const which of ['receiver', 'worker', 'digest'] as const) {
      for (const statement of statementsOf(which)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (resources.includes('*')) expect(actionsOf(statement).every((action) => action.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('lets the receiver put and get items, send to the queue and read only the GitLab secret and the Slack signing secret', () => {
    const statements = statementsOf('receiver');
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arnOf(synth.stack.table.table) }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sqs:SendMessage', Resource: arnOf(synth.stack.queues.queue) }));
    const secretStatement = statements.find((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(secretStatement?.Resource).toEqual([refTo(synth.stack.secrets.gitlab), refTo(synth.stack.secrets.slackSigning)]);
    const vars = (functionProps('receiver').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars[ENV.slackSigningSecretId]).toEqual(refTo(synth.stack.secrets.slackSigning));
    // The GitLab API token is the worker's alone: the receiver never calls GitLab.
    expect(JSON.stringify(statements)).not.toContain(logicalIdOf(synth.stack.secrets.gitlabApi));
    const receiverVars = (functionProps('receiver').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(receiverVars).not.toHaveProperty(ENV.gitlabApiSecretId);
    const all = statements.flatMap(actionsOf).sort();
    expect(all).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  it('lets the worker use items, consume the queue and read the Slack, Teams, Jira and GitLab API secrets (not the webhook secret)', () => {
    const statements = statementsOf('worker');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: arnOf(synth.stack.table.table),
      }),
    );
    const secretStatement = statements.find((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(secretStatement?.Resource).toEqual(
      expect.arrayContaining([
        refTo(synth.stack.secrets.slack),
        refTo(synth.stack.secrets.teams),
        refTo(synth.stack.secrets.jira),
        refTo(synth.stack.secrets.gitlabApi),
      ]),
    );
    const workerVars = (functionProps('worker').Environment as { Variables: Record<string, unknown> }).Variables;
    expect(workerVars[ENV.gitlabApiSecretId]).toEqual(refTo(synth.stack.secrets.gitlabApi));
    expect(JSON.stringify(secretStatement?.Resource)).not.toContain(logicalIdOf(synth.stack.secrets.gitlab));
    // The Slack signing secret is the receiver's alone: it verifies the clicks, the worker acts on them.
    expect(JSON.stringify(statements)).not.toContain(logicalIdOf(synth.stack.secrets.slackSigning));
    expect(workerVars).not.toHaveProperty(ENV.slackSigningSecretId);
    const queueStatement = statements.find((statement) => actionsOf(statement).includes('sqs:ReceiveMessage'));
    expect(queueStatement?.Resource).toEqual(arnOf(synth.stack.queues.queue));
    expect(actionsOf(queueStatement as Statement)).toContain('sqs:ChangeMessageVisibility');
    expect(statements.flatMap(actionsOf)).not.toContain('sqs:SendMessage');
  });

  it('lets the digest function use items and read the Slack and Teams secrets, nothing else', () => {
    const statements = statementsOf('digest');
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arnOf(synth.stack.table.table) }),
    );
    const secretStatement = statements.find((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(secretStatement?.Resource).toEqual([refTo(synth.stack.secrets.slack), refTo(synth.stack.secrets.teams)]);
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  it('uses no managed policies (AWSLambdaBasicExecutionRole would allow writing every log group)', () => {
    for (const [, role] of resourcesOfType(synth.json, 'AWS::IAM::Role')) expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });
});

describe('secrets', () => {
  it('generates the GitLab token at deploy time and writes only REPLACE_ME placeholders for the others', () => {
    const secrets = resourcesOfType(synth.json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(6);
    const gitlab = synth.json.Resources[logicalIdOf(synth.stack.secrets.gitlab)];
    expect(gitlab?.Properties?.SecretString).toBeUndefined();
    expect(gitlab?.Properties?.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    for (const [id, secret] of secrets) {
      if (id === logicalIdOf(synth.stack.secrets.gitlab)) continue;
      expect(secret.Properties?.SecretString).toEqual(expect.stringMatching(new RegExp(`^${PLACEHOLDER_PREFIX}`)));
    }
    expect(Object.values(SECRET_PLACEHOLDERS).every((value) => value.startsWith(PLACEHOLDER_PREFIX))).toBe(true);
  });

  it('puts no secret value anywhere in the template, even when the shell holds real credentials', () => {
    const real = {
      [ENV.gitlabWebhookToken]: 'glwt-real-token-0123456789abcdef',
      [ENV.slackBotToken]: 'xoxb-1234567890-real-slack-token',
      [ENV.teamsWebhookUrl]: 'https://example.webhook.office.com/webhookb2/real',
      [ENV.jiraApiToken]: 'ATATT3xFfGF0-real-jira-token',
    };
    const saved = Object.fromEntries(Object.keys(real).map((name) => [name, process.env[name]]));
    Object.assign(process.env, real);
    try {
      const { app, stack } = createBridgeApp({ outdir: tempOutdir(), context: { config: 'none', 'aws:cdk:bundling-stacks': [] } });
      app.synth();
      const text = JSON.stringify(app.synth().getStackArtifact(stack.artifactId).template);
      for (const value of Object.values(real)) expect(text).not.toContain(value);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const text = JSON.stringify(synth.json);
    for (const pattern of [/xox[abp]-[0-9]/, /webhook\.office\.com/, /whsec_[A-Za-z0-9+/]{20}/, /"SecretString":"(?!REPLACE_ME)/])
      expect(text).not.toMatch(pattern);
  });
});

describe('webhook API', () => {
  it('is an HTTP API routing POST /webhooks/gitlab to the receiver with payload format 2.0', () => {
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${WEBHOOK_PATH}` });
    // Slack's interactivity Request URL, on the same API and receiver (issue 12).
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${SLACK_INTERACTIONS_PATH}` });
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    expect(JSON.stringify(synth.json.Outputs?.[STACK_OUTPUTS.slackInteractionsUrl]?.Value)).toContain(`${SLACK_INTERACTIONS_PATH}"`);
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(synth.stack.receiver.function),
    });
  });

  it('throttles the stage and writes JSON access logs without request headers', () => {
    const stage = onlyResource(synth.json, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    const access = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(access.DestinationArn).toEqual(arnOf(synth.stack.webhookApi!.accessLogs));
    const format = JSON.parse(access.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(access.Format.toLowerCase()).not.toContain('header');
  });
});

describe('flood protection: throttled and refused webhook requests', () => {
  type MetricDataQuery = {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] } };
  };
  const alarmNamed = (suffix: string) => {
    const found = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').find(([, alarm]) => alarm.Properties?.AlarmName === `${DEFAULT_STACK_NAME}-${suffix}`);
    if (!found) throw new Error(`no alarm ${suffix}`);
    return found[1].Properties as { Metrics: MetricDataQuery[]; Threshold: number; AlarmActions: unknown; ComparisonOperator: string };
  };
  const apiDimension = () => [{ Name: 'ApiId', Value: refTo(synth.stack.webhookApi!.api) }];

  it('counts 429s from the access logs per API (HTTP APIs publish no throttle metric)', () => {
    const format = JSON.parse((onlyResource(synth.json, 'AWS::ApiGatewayV2::Stage').Properties.AccessLogSettings as { Format: string }).Format) as Record<
      string,
      string
    >;
    expect(format.apiId).toBe('$context.apiId');
    expect(format.status).toBe('$context.status');
    const filter = onlyResource(synth.json, 'AWS::Logs::MetricFilter');
    expect(filter.Properties.LogGroupName).toEqual(refTo(synth.stack.webhookApi!.accessLogs));
    expect(filter.Properties.FilterPattern).toBe('{ $.status = "429" }');
    expect(filter.Properties.MetricTransformations).toEqual([
      { MetricNamespace: METRICS_NAMESPACE, MetricName: THROTTLED_METRIC_NAME, MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] },
    ]);
  });

  it('alarms to the topic when over 25% of at least 20 requests in 5 minutes get a 4xx', () => {
    const alarm = alarmNamed('Webhook4xxRate');
    expect(alarm.AlarmActions).toEqual([refTo(synth.stack.monitoring.topic)]);
    expect(alarm.Threshold).toBe(CLIENT_ERROR_RATE_ALARM_PERCENT);
    expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    const byId = Object.fromEntries(alarm.Metrics.map((query) => [query.Id, query]));
    expect(byId.errors?.MetricStat?.Metric).toEqual({ MetricName: '4xx', Namespace: 'AWS/ApiGateway', Dimensions: apiDimension() });
    expect(byId.requests?.MetricStat?.Metric).toEqual({ MetricName: 'Count', Namespace: 'AWS/ApiGateway', Dimensions: apiDimension() });
    const expression = alarm.Metrics.find((query) => query.Expression);
    expect(expression?.Expression).toBe(`IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`);
  });

  it('alarms to the topic when over 1% of requests are throttled (429)', () => {
    const alarm = alarmNamed('WebhookThrottledRate');
    expect(alarm.AlarmActions).toEqual([refTo(synth.stack.monitoring.topic)]);
    expect(alarm.Threshold).toBe(THROTTLED_RATE_ALARM_PERCENT);
    const byId = Object.fromEntries(alarm.Metrics.map((query) => [query.Id, query]));
    expect(byId.throttled?.MetricStat?.Metric).toEqual({ MetricName: THROTTLED_METRIC_NAME, Namespace: METRICS_NAMESPACE, Dimensions: apiDimension() });
    expect(byId.requests?.MetricStat?.Metric.MetricName).toBe('Count');
    expect(alarm.Metrics.find((query) => query.Expression)?.Expression).toBe('100 * FILL(throttled, 0) / requests');
  });

  it("alarms to the topic when Slack clicks are refused (401) by the receiver's signature check", () => {
    const found = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').find(
      ([, alarm]) => alarm.Properties?.AlarmName === `${DEFAULT_STACK_NAME}-SlackInteractionsRejected`,
    );
    expect(found?.[1].Properties).toMatchObject({
      MetricName: METRIC_NAMES.slackRejected,
      Namespace: METRICS_NAMESPACE,
      // The receiver emits it with this one dimension (functions/receiver.ts, emfMetrics('receiver')).
      Dimensions: [{ Name: 'service', Value: 'receiver' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: SLACK_REJECTED_ALARM_COUNT,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [refTo(synth.stack.monitoring.topic)],
    });
    expect(JSON.stringify(onlyResource(synth.json, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody)).toContain(METRIC_NAMES.slackRejected);
  });

  it('charts the 4xx and throttled rates and the 429 count on the dashboard', () => {
    const body = JSON.stringify(onlyResource(synth.json, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    expect(body).toContain(THROTTLED_METRIC_NAME);
    expect(body).toContain('100 * FILL(throttled, 0) / requests');
    expect(body).toContain(`IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`);
  });
});

describe('alarms, dashboard and outputs', () => {
  const alarmOn = (json: TemplateJson, metricName: string) =>
    resourcesOfType(json, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => JSON.stringify(alarm.Properties).includes(`"${metricName}"`));

  it('alarms on DLQ messages, worker errors and failures, receiver 5xx and throttles, all to the topic', () => {
    const topic = refTo(synth.stack.monitoring.topic);
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'Errors', METRIC_NAMES.failed, '5xx', 'Throttles', 'ApproximateAgeOfOldestMessage']) {
      const alarms = alarmOn(synth.json, metric);
      expect(alarms.length, metric).toBeGreaterThan(0);
      for (const [, alarm] of alarms) expect(alarm.Properties?.AlarmActions).toEqual([topic]);
    }
    const dlqAlarms = alarmOn(synth.json, 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(1);
    const dlqAlarm = { Properties: dlqAlarms[0]?.[1].Properties ?? {} };
    expect(dlqAlarm.Properties.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(synth.stack.queues.deadLetterQueue), 'QueueName'] } },
    ]);
    expect(dlqAlarm.Properties.Threshold).toBe(1);
  });

  it('encrypts the alarm topic in transit and subscribes an email only when alarmEmail is given', () => {
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synthBridge({ config: 'none', alarmEmail: 'ops@example.com' }, { bundle: false });
    try {
      withEmail.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    } finally {
      withEmail.cleanup();
    }
  });

  it('charts received, processed, failed and latency from the GitLabBridge namespace', () => {
    const dashboard = onlyResource(synth.json, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of [METRIC_NAMES.received, METRIC_NAMES.processed, METRIC_NAMES.failed, METRIC_NAMES.latency]) expect(body).toContain(name);
    expect(body).toContain(METRICS_NAMESPACE);
  });

  it('outputs every value the CLI and the operator need', () => {
    // The CLI reads these keys through lib/stack-outputs.ts, and assumes DEFAULT_STACK_NAME.
    expect(Object.keys(synth.json.Outputs ?? {}).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(synth.stack.stackName).toBe(DEFAULT_STACK_NAME);
    expect(JSON.stringify(synth.json.Outputs?.[STACK_OUTPUTS.webhookUrl]?.Value)).toContain(`${WEBHOOK_PATH}"`);
    expect(synth.json.Outputs?.[STACK_OUTPUTS.slackSecretName]?.Value).toBe('GitLabBridge/slack-bot-token');
    expect(synth.json.Outputs?.[STACK_OUTPUTS.gitlabApiSecretName]?.Value).toBe('GitLabBridge/gitlab-api-token');
  });
});

describe('validation on synth', () => {
  it('reports no cdk-nag or CloudFormation template validation findings', () => {
    expect(
      synth.validationReport.pluginReports.flatMap((report) => report.violations.map((violation) => `${report.pluginName}: ${violation.ruleName}`)),
    ).toEqual([]);
  });

  it('fails synth when a construct breaks an AWS Solutions rule (the pack is wired, not decorative)', () => {
    const { app, stack } = createBridgeApp({ outdir: tempOutdir(), context: { config: 'none', 'aws:cdk:bundling-stacks': [] } });
    new Queue(stack, 'PlainQueue', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('fails synth when a resource breaks the CloudFormation schema (built-in template validation runs, as errors)', () => {
    const outdir = tempOutdir();
    const { app, stack } = createBridgeApp({ outdir, context: { config: 'none', 'aws:cdk:bundling-stacks': [] } });
    new CfnResource(stack, 'SchemaBreaker', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'six minutes', SqsManagedSseEnabled: true } });
    expect(() => app.synth()).toThrow(/VisibilityTimeout.*\(CloudFormation Validate\)/);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as SynthesizedBridge['validationReport'];
    const cfnValidate = report.pluginReports.find((plugin) => plugin.pluginName === 'CloudFormation Validate');
    expect(cfnValidate?.violations).toContainEqual(expect.objectContaining({ severity: 'error', description: expect.stringContaining('VisibilityTimeout') }));
  });

  it('records a written reason with every acknowledged rule', () => {
    const acknowledged = Object.values(synth.json.Resources).flatMap(
      (resource) => (resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress ?? [],
    );
    expect(new Set(acknowledged.map((rule) => rule.id))).toEqual(new Set(['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-APIG4', 'AwsSolutions-SMG4']));
    for (const rule of acknowledged) expect(rule.reason.length, rule.id).toBeGreaterThan(80);
  });
});

describe('settings from context', () => {
  it('fails synth with the config loader’s message when the routing config is invalid', () => {
    const bad = join(configDir, 'bad.config.json');
    writeFileSync(bad, JSON.stringify({ routes: [], colour: 'blue' }));
    expect(() => createBridgeApp({ context: { config: bad } })).toThrow(ConfigError);
    expect(() => createBridgeApp({ context: { config: bad } })).toThrow(/bad\.config\.json: .*colour/);
  });

  it('fails synth when the named config file does not exist', () => {
    expect(() => createBridgeApp({ context: { config: join(configDir, 'missing.json') } })).toThrow(/missing\.json: config file not found/);
  });

  it.each([
    ['retentionDays', 'abc', /context retentionDays: expected a whole number/],
    ['workerMaxConcurrency', '1', /context workerMaxConcurrency: expected a whole number from 2/],
    ['workerMemoryMb', '64', /context workerMemoryMb: expected a whole number from 128 to 10240/],
    ['maxBodyBytes', String(7 * 1024 * 1024), /context maxBodyBytes/],
    ['alarmEmail', 'not-an-email', /context alarmEmail/],
    ['retainData', 'maybe', /context retainData: expected true or false/],
    ['receiverReservedConcurrency', 'lots', /context receiverReservedConcurrency: expected a whole number from 1 to 1000/],
    ['receiverReservedConcurrency', '50', /context receiverReservedConcurrency: 50 is below apiBurstLimit \(100\).*500 instead of 429/],
  ])('rejects -c %s=%s with a message naming the key', (key, value, message) => {
    expect(() => createBridgeApp({ context: { config: 'none', [key]: value } })).toThrow(message);
  });

  it.each([
    [{ jiraHost: 'acme.atlassian.net' }, /context jiraHost\b.*(Jira site URL|jira\.host)/],
    [{ jiraHost: 'https://acme.atlassian.net', jiraProjectKeys: 'OPS,web' }, /context jiraProjectKeys: "web" is not a Jira project key/],
    [{ jiraProjectKeys: 'OPS' }, /context jiraProjectKeys: only used with -c jiraHost/],
  ])('fails synth on zero-config settings the worker would refuse at cold start (%o)', (settings, message) => {
    // The worker builds its zero-config routing from these at cold start; a bad value there
    // would fail every batch until each delivery reached the dead-letter queue.
    expect(() => createBridgeApp({ context: { config: 'none', ...settings } })).toThrow(ConfigError);
    expect(() => createBridgeApp({ context: { config: 'none', ...settings } })).toThrow(message);
  });

  it.each(['slackChannel', 'jiraHost', 'jiraProjectKeys'])('fails synth when -c %s is given with a routing config file (the worker would ignore it)', (key) => {
    const value = key === 'jiraHost' ? 'https://acme.atlassian.net' : key === 'jiraProjectKeys' ? 'OPS' : '#ci';
    expect(() => createBridgeApp({ context: { config: configPath, [key]: value } })).toThrow(new RegExp(`context ${key}: .*config file`));
  });

  it('passes zero-config routing, the GitLab URL and the body limit as plain (non-secret) variables', () => {
    const zero = synthBridge(
      {
        config: 'none',
        slackChannel: '#ci',
        jiraHost: 'https://acme.atlassian.net',
        jiraProjectKeys: 'OPS,WEB',
        maxBodyBytes: '1048576',
        gitlabUrl: 'https://gitlab.example.com/api/v4',
      },
      { bundle: false },
    );
    try {
      const variables = (which: 'receiver' | 'worker') =>
        (
          zero.json.Resources[zero.stack.getLogicalId(zero.stack[which].function.node.defaultChild as never)]?.Properties?.Environment as {
            Variables: Record<string, unknown>;
          }
        ).Variables;
      expect(variables('worker')).toMatchObject({ [ENV.slackChannel]: '#ci', [ENV.jiraHost]: 'https://acme.atlassian.net', [ENV.jiraProjectKeys]: 'OPS,WEB' });
      expect(variables('receiver')[ENV.maxBodyBytes]).toBe('1048576');
      expect(variables('receiver')[ENV.slackChannel]).toBeUndefined();
      expect(variables('worker')[ENV.gitlabUrl]).toBe('https://gitlab.example.com');
      expect(variables('receiver')[ENV.gitlabUrl]).toBeUndefined();
    } finally {
      zero.cleanup();
    }
  });

  it('sets the worker’s memory from -c workerMemoryMb and leaves the receiver’s', () => {
    const synthesized = synthBridge({ config: 'none', workerMemoryMb: '1024' }, { bundle: false });
    try {
      const props = (which: 'receiver' | 'worker') =>
        synthesized.json.Resources[synthesized.stack.getLogicalId(synthesized.stack[which].function.node.defaultChild as never)]?.Properties;
      expect(props('worker')?.MemorySize).toBe(1024);
      expect(props('receiver')?.MemorySize).toBe(512);
    } finally {
      synthesized.cleanup();
    }
  });

  it.each([
    [{ receiverReservedConcurrency: 'none' }, undefined],
    [{ receiverReservedConcurrency: '300' }, 300],
    [{ apiBurstLimit: '20' }, 20],
    [{ apiBurstLimit: '20', receiverReservedConcurrency: '30' }, 30],
  ])('sets the receiver’s reserved concurrency from context (%o)', (context, expected) => {
    const synthesized = synthBridge({ config: 'none', ...context }, { bundle: false });
    try {
      const receiver = synthesized.json.Resources[synthesized.stack.getLogicalId(synthesized.stack.receiver.function.node.defaultChild as never)];
      expect(receiver?.Properties?.ReservedConcurrentExecutions).toBe(expected);
    } finally {
      synthesized.cleanup();
    }
  });

  it('deletes data with the stack only when retainData=false', () => {
    const throwaway = synthBridge({ config: 'none', retainData: 'false', maxAttempts: '3', workerMaxConcurrency: '2' }, { bundle: false });
    try {
      throwaway.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
      throwaway.template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
      throwaway.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 2 } });
      const worker = throwaway.json.Resources[throwaway.stack.getLogicalId(throwaway.stack.worker.function.node.defaultChild as never)];
      const workerVariables = (worker?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(workerVariables[ENV.configPath]).toBeUndefined();
      // The worker marks the attempt SQS will not redeliver as the last one (status failed).
      expect(workerVariables[ENV.maxAttempts]).toBe('3');
    } finally {
      throwaway.cleanup();
    }
  });
});
