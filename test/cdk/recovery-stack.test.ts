import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_TIMEOUT } from '../../cdk/bridge-stack.js';
import { ENV } from '../../lib/env.js';
import { METRIC_NAMES } from '../../lib/metrics-names.js';
import { bundledBridge, resourcesOfType, synthBridge } from './support/synth.js';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let synth: Awaited<ReturnType<typeof bundledBridge>>;

beforeAll(async () => {
  synth = await bundledBridge();
  // The first synth in a process loads cdk-nag and the template validation (~10 s on a busy machine): paid here.
  synth.app.synth();
}, 120_000);
afterAll(() => synth?.cleanup());

const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
  synth.stack.getLogicalId(construct.node.defaultChild as Parameters<typeof synth.stack.getLogicalId>[0]);
const refTo = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });
const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('the scheduled recovery function', () => {
  it('runs every 10 minutes by default on an EventBridge rule targeting the function', () => {
    const rule = synth.json.Resources[logicalIdOf(synth.stack.recoverySchedule)];
    expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
    expect(JSON.stringify(rule?.Properties?.Targets)).toContain(logicalIdOf(synth.stack.recovery.function));
    // EventBridge may invoke it (the digest function has its own rule and permission).
    const permissions = resourcesOfType(synth.json, 'AWS::Lambda::Permission').filter(
      ([, permission]) => JSON.stringify(permission.Properties?.FunctionName) === JSON.stringify(arnOf(synth.stack.recovery.function)),
    );
    expect(permissions.map(([, permission]) => permission.Properties?.Principal)).toEqual(['events.amazonaws.com']);
  });

  it('takes its interval, projects and mode from context', () => {
    const other = synthBridge({ config: 'none', recoveryInterval: '30', recoveryProjects: 'group/a,group/b', recoveryMode: 'resend' }, { bundle: false });
    try {
      const rule = other.json.Resources[other.stack.getLogicalId(other.stack.recoverySchedule.node.defaultChild as never)];
      expect(rule?.Properties?.ScheduleExpression).toBe('rate(30 minutes)');
      const recovery = other.json.Resources[other.stack.getLogicalId(other.stack.recovery.function.node.defaultChild as never)];
      expect((recovery?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        [ENV.recoveryProjects]: 'group/a,group/b',
        [ENV.recoveryMode]: 'resend',
      });
    } finally {
      other.cleanup();
    }
  }, 60_000);

  it('may write and read items, send to the queue and read the GitLab API token and the Slack and Teams secrets, nothing else', () => {
    const roleId = logicalIdOf(synth.stack.recovery.role);
    const statements = resourcesOfType(synth.json, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arnOf(synth.stack.table.table) }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sqs:SendMessage', Resource: arnOf(synth.stack.queues.queue) }));
    // The GitLab API token, and for the ops notice (docs/recovery.md) the Slack bot token and the Teams webhooks.
    const secretReads = statements.filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(secretReads.flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]))).toEqual([
      refTo(synth.stack.secrets.gitlabApi),
      refTo(synth.stack.secrets.slack),
      refTo(synth.stack.secrets.teams),
    ]);
    expect(secretReads.flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
    expect(statements.flatMap(actionsOf).sort()).toEqual(
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
    // Not the webhook secret, Jira's or Slack's signing secret: recovery never needs them.
    for (const secret of [synth.stack.secrets.gitlab, synth.stack.secrets.jira, synth.stack.secrets.slackSigning])
      expect(JSON.stringify(statements)).not.toContain(logicalIdOf(secret));
    const props = synth.json.Resources[logicalIdOf(synth.stack.recovery.function)]?.Properties;
    expect(props?.Timeout).toBe(RECOVERY_TIMEOUT.toSeconds());
  });

  it('has its own error alarm, a hook-problems alarm and a failures alarm to the topic, and a dashboard widget', () => {
    const topic = refTo(synth.stack.monitoring.topic);
    const alarms = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm');
    const errors = alarms.filter(
      ([, alarm]) =>
        alarm.Properties?.MetricName === 'Errors' && JSON.stringify(alarm.Properties?.Dimensions).includes(logicalIdOf(synth.stack.recovery.function)),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[1].Properties?.AlarmActions).toEqual([topic]);
    for (const metric of [METRIC_NAMES.hookProblems, METRIC_NAMES.recoveryFailed]) {
      const matching = alarms.filter(([, alarm]) => alarm.Properties?.MetricName === metric);
      expect(matching, metric).toHaveLength(1);
      expect(matching[0]?.[1].Properties?.Dimensions).toEqual([{ Name: 'service', Value: 'recovery' }]);
    }
    const dashboard = resourcesOfType(synth.json, 'AWS::CloudWatch::Dashboard')[0]?.[1];
    expect(JSON.stringify(dashboard?.Properties?.DashboardBody)).toContain(METRIC_NAMES.recovered);
    // Health as GitLab sees it: the worst share as a metric, each project's share from the recovery logs.
    expect(JSON.stringify(dashboard?.Properties?.DashboardBody)).toContain(METRIC_NAMES.hookFailureShare);
    expect(JSON.stringify(dashboard?.Properties?.DashboardBody)).toContain('hook health');
  });

  it('synthesizes with no cdk-nag findings', () => {
    expect(
      synth.validationReport.pluginReports.flatMap((report) => report.violations.map((violation) => `${report.pluginName}: ${violation.ruleName}`)),
    ).toEqual([]);
  });
});
