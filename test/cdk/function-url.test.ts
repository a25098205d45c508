import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeApp } from '../../cdk/bridge-app.js';
import { CLIENT_ERROR_RATE_ALARM_PERCENT, MIN_REQUESTS_FOR_RATE, THROTTLED_RATE_ALARM_PERCENT } from '../../cdk/constructs/monitoring.js';
import { ENV } from '../../lib/env.js';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../../lib/stack-outputs.js';
import { onlyResource, resourcesOfType, synthBridge, type SynthesizedBridge, type TemplateJson } from './support/synth.js';

/** `-c endpoint=functionUrl` (docs/deploy.md, "Endpoint"), beside the default it replaces. */
let furl: SynthesizedBridge;
let api: SynthesizedBridge;

beforeAll(() => {
  furl = synthBridge({ config: 'none', endpoint: 'functionUrl' }, { bundle: false });
  api = synthBridge({ config: 'none' }, { bundle: false });
}, 90_000);
afterAll(() => {
  furl?.cleanup();
  api?.cleanup();
});

const logicalId = (bridge: SynthesizedBridge, construct: { node: { defaultChild?: unknown } }) =>
  bridge.stack.getLogicalId(construct.node.defaultChild as Parameters<typeof bridge.stack.getLogicalId>[0]);
const receiverId = (bridge: SynthesizedBridge) => logicalId(bridge, bridge.stack.receiver.function);
const receiverProps = (bridge: SynthesizedBridge) => bridge.json.Resources[receiverId(bridge)]?.Properties ?? {};
const variables = (bridge: SynthesizedBridge) => (receiverProps(bridge).Environment as { Variables: Record<string, unknown> }).Variables;

type MetricDataQuery = { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] } } };
function alarmNamed(json: TemplateJson, suffix: string) {
  const found = resourcesOfType(json, 'AWS::CloudWatch::Alarm').find(([, alarm]) => alarm.Properties?.AlarmName === `${DEFAULT_STACK_NAME}-${suffix}`);
  if (!found) throw new Error(`no alarm ${suffix}`);
  return found[1].Properties as Record<string, unknown> & { Metrics?: MetricDataQuery[]; AlarmDescription: string };
}

describe('the function URL endpoint (-c endpoint=functionUrl)', () => {
  it('gives the receiver a function URL with auth NONE (GitLab and Slack cannot sign with IAM), buffered, without CORS', () => {
    const url = onlyResource(furl.json, 'AWS::Lambda::Url');
    expect(url.Properties).toEqual({ AuthType: 'NONE', InvokeMode: 'BUFFERED', TargetFunctionArn: { 'Fn::GetAtt': [receiverId(furl), 'Arn'] } });
    // Lambda's two permissions for a public URL; the second holds only for calls through the URL.
    const permissions = resourcesOfType(furl.json, 'AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties ?? {})
      .filter((properties) => JSON.stringify(properties.FunctionName).includes(receiverId(furl)));
    expect(permissions).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE', Principal: '*' }),
      expect.objectContaining({ Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true, Principal: '*' }),
    ]);
  });

  it('builds no HTTP API, stage, access log or throttle metric filter', () => {
    const types = new Set(Object.values(furl.json.Resources).map((resource) => resource.Type));
    for (const type of ['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Stage', 'AWS::Logs::MetricFilter'])
      expect(types).not.toContain(type);
    expect(resourcesOfType(furl.json, 'AWS::Logs::LogGroup')).toHaveLength(resourcesOfType(api.json, 'AWS::Logs::LogGroup').length - 1);
    expect(furl.stack.webhookApi).toBeUndefined();
  });

  it('tells the receiver to route every path itself, and keeps its reservation as the flood cap', () => {
    expect(variables(furl)[ENV.webhookEndpoint]).toBe('functionUrl');
    expect(receiverProps(furl).ReservedConcurrentExecutions).toBe(100);
  });

  it('outputs the webhook and Slack URLs under the names the CLI reads, on the function URL', () => {
    expect(Object.keys(furl.json.Outputs ?? {}).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    const urlId = logicalId(furl, furl.stack.webhookFunctionUrl?.url ?? furl.stack);
    const on = (path: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [urlId, 'FunctionUrl'] }, path]] });
    expect(furl.json.Outputs?.[STACK_OUTPUTS.webhookUrl]?.Value).toEqual(on('webhooks/gitlab'));
    expect(furl.json.Outputs?.[STACK_OUTPUTS.slackInteractionsUrl]?.Value).toEqual(on('slack/interactions'));
  });

  it("alarms on the function URL's own 5xx, 4xx and request counts and on the receiver's throttles, not on API Gateway", () => {
    const receiverDimension = [{ Name: 'FunctionName', Value: { Ref: receiverId(furl) } }];
    expect(alarmNamed(furl.json, 'Receiver5xx')).toMatchObject({ MetricName: 'Url5xxCount', Namespace: 'AWS/Lambda', Dimensions: receiverDimension });
    const rate = alarmNamed(furl.json, 'Webhook4xxRate');
    const byId = Object.fromEntries((rate.Metrics ?? []).map((query) => [query.Id, query.MetricStat?.Metric]));
    expect(byId.errors).toEqual({ MetricName: 'Url4xxCount', Namespace: 'AWS/Lambda', Dimensions: receiverDimension });
    expect(byId.requests).toEqual({ MetricName: 'UrlRequestCount', Namespace: 'AWS/Lambda', Dimensions: receiverDimension });
    expect(rate.Threshold).toBe(CLIENT_ERROR_RATE_ALARM_PERCENT);
    expect(rate.Metrics?.find((query) => query.Expression)?.Expression).toBe(`IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`);
    const throttled = alarmNamed(furl.json, 'WebhookThrottledRate');
    const throttledById = Object.fromEntries((throttled.Metrics ?? []).map((query) => [query.Id, query.MetricStat?.Metric]));
    expect(throttledById.throttled).toEqual({ MetricName: 'Throttles', Namespace: 'AWS/Lambda', Dimensions: receiverDimension });
    expect(throttled.Threshold).toBe(THROTTLED_RATE_ALARM_PERCENT);
    expect(throttled.AlarmDescription).toContain('receiverReservedConcurrency');
    expect(JSON.stringify(furl.json)).not.toContain('AWS/ApiGateway');
    for (const [, alarm] of resourcesOfType(furl.json, 'AWS::CloudWatch::Alarm')) expect(JSON.stringify(alarm.Properties)).not.toContain('access logs');
    // The same alarms as behind the API, one for one.
    const names = (json: TemplateJson) => resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties?.AlarmName as string);
    expect(names(furl.json).sort()).toEqual(names(api.json).sort());
  });

  it('charts the function URL metrics on the dashboard', () => {
    const body = JSON.stringify(onlyResource(furl.json, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const metric of ['UrlRequestCount', 'Url4xxCount', 'Url5xxCount', 'UrlRequestLatency', 'Throttles']) expect(body).toContain(metric);
    expect(body).not.toContain('AWS/ApiGateway');
  });

  it('grants every role exactly what it has behind the API (least privilege unchanged)', () => {
    const policies = (bridge: SynthesizedBridge) =>
      Object.fromEntries(resourcesOfType(bridge.json, 'AWS::IAM::Policy').map(([id, policy]) => [id, policy.Properties?.PolicyDocument]));
    expect(policies(furl)).toEqual(policies(api));
  });

  it('passes cdk-nag and CloudFormation validation with no finding, and acknowledges no rule the API needed', () => {
    expect(
      furl.validationReport.pluginReports.flatMap((report) => report.violations.map((violation) => `${report.pluginName}: ${violation.ruleName}`)),
    ).toEqual([]);
    const acknowledged = (json: TemplateJson) =>
      new Set(
        Object.values(json.Resources).flatMap(
          (resource) => (resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string }[] } | undefined)?.rules_to_suppress?.map((rule) => rule.id) ?? [],
        ),
      );
    expect(acknowledged(furl.json)).toEqual(new Set([...acknowledged(api.json)].filter((id) => id !== 'AwsSolutions-APIG4')));
  });
});

describe('the default endpoint is still the HTTP API', () => {
  it('has no function URL and no endpoint variable on the receiver', () => {
    expect(resourcesOfType(api.json, 'AWS::Lambda::Url')).toEqual([]);
    expect(variables(api)).not.toHaveProperty(ENV.webhookEndpoint);
    expect(resourcesOfType(api.json, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(alarmNamed(api.json, 'Receiver5xx')).toMatchObject({ MetricName: '5xx', Namespace: 'AWS/ApiGateway' });
  });
});

describe('endpoint settings', () => {
  it.each([
    [{ endpoint: 'rest' }, 'context endpoint: "rest" is not one of api, functionUrl'],
    [{ endpoint: 'functionUrl', apiRateLimit: '10' }, 'context apiRateLimit: API Gateway throttling does not exist with -c endpoint=functionUrl'],
    [{ endpoint: 'functionUrl', apiBurstLimit: '10' }, 'context apiBurstLimit: API Gateway throttling does not exist with -c endpoint=functionUrl'],
    [{ endpoint: 'functionUrl', receiverReservedConcurrency: 'none' }, 'context receiverReservedConcurrency: none is refused with -c endpoint=functionUrl'],
  ])('refuses %o at synth', (context, message) => {
    expect(() => createBridgeApp({ context: { config: 'none', ...context } })).toThrow(message);
  });

  it('takes a reservation below the default burst limit with a function URL (no API burst to absorb)', () => {
    const app = createBridgeApp({ context: { config: 'none', endpoint: 'functionUrl', receiverReservedConcurrency: '20', 'aws:cdk:bundling-stacks': [] } });
    expect(app.settings.receiverReservedConcurrency).toBe(20);
    expect(() => createBridgeApp({ context: { config: 'none', receiverReservedConcurrency: '20' } })).toThrow(/below apiBurstLimit/);
  });
});
