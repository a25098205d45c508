import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { startControlPlane, type ControlPlane } from './aws-control-plane.js';
import { cli, seed } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;

describe('a deployed stack: names from CloudFormation outputs, the token from Secrets Manager', () => {
  let table: TestTable;
  let sqs: LocalSqs;
  let aws: ControlPlane;
  let gitlab: FakeGitLab;
  let env: Record<string, string>;
  let deliveryId: string;

  beforeAll(async () => {
    table = await startTestTable('stack-deliveries-table');
    sqs = await startTestQueues({ queueName: 'stack-queue' });
    gitlab = await startFakeGitLab({ maintainerTokens: ['glpat-ok'] });
    gitlab.addProject('group/app');
    aws = await startControlPlane({
      stacks: {
        GitLabBridge: {
          TableName: table.tableName,
          QueueUrl: sqs.queueUrl,
          DeadLetterQueueUrl: sqs.dlqUrl,
          WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/gitlab',
          GitLabSecretName: 'gitlab-bridge/gitlab',
        },
        Incomplete: { TableName: table.tableName },
        // Deployed with -c endpoint=functionUrl: the same output names, a function URL's address.
        FunctionUrlBridge: {
          TableName: table.tableName,
          WebhookUrl: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/webhooks/gitlab',
          GitLabSecretName: 'gitlab-bridge/gitlab',
        },
      },
      secrets: {
        'gitlab-bridge/gitlab': JSON.stringify({
          tokens: ['current-token', 'previous-token'],
          signingKeys: ['whsec_c2lnbmluZy1rZXktZm9yLXRoZS10ZXN0cy0zMmI='],
        }),
      },
    });
    deliveryId = (await seed(new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName }), 'failed')).id;
    env = {
      AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: aws.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: 'glpat-ok',
    };
  });

  afterAll(async () => {
    await gitlab?.stop();
    await aws?.close();
    await sqs?.close();
    await table?.close();
  });

  it('reads the table from the stack named with --stack, once', async () => {
    const run = await cli(env, ['deliveries', 'list', '--stack', 'GitLabBridge', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([deliveryId]);
    expect(aws.requests.filter((request) => request.target === 'DescribeStacks')).toHaveLength(1);
  });

  it("replays through the stack's queue", async () => {
    const run = await cli({ ...env, BRIDGE_STACK_NAME: 'GitLabBridge' }, ['deliveries', 'replay', deliveryId]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Queued 1 delivery for replay/);
  });

  it("connects a project with the stack's webhook URL and the first token and signing key of its secret", async () => {
    const run = await cli(env, ['gitlab', 'connect', '--project', 'group/app', '--stack', 'GitLabBridge']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('-> https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/gitlab');
    expect(run.stdout).toContain('signing token set');
    const [create] = gitlab.requestsTo('POST', /\/hooks$/);
    expect(create?.body).toMatchObject({
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/gitlab',
      token: 'current-token',
      signing_token: 'whsec_c2lnbmluZy1rZXktZm9yLXRoZS10ZXN0cy0zMmI=',
    });
    expect(run.stdout + run.stderr).not.toContain('current-token');
    expect(aws.requests.some((request) => request.target === 'secretsmanager.GetSecretValue' && request.body.includes('gitlab-bridge/gitlab'))).toBe(true);
  });

  it('connects a project to, and reports the status of, a stack deployed with a function URL', async () => {
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/webhooks/gitlab';
    gitlab.addProject('group/furl');
    const connect = await cli(env, ['gitlab', 'connect', '--project', 'group/furl', '--stack', 'FunctionUrlBridge']);
    expect(connect.code).toBe(0);
    expect(connect.stdout).toContain(`-> ${url}`);
    const [create] = gitlab.requestsTo('POST', /group%2Ffurl\/hooks$/);
    expect(create?.body).toMatchObject({ url, token: 'current-token' });
    const status = await cli(env, ['gitlab', 'status', '--project', 'group/furl', '--stack', 'FunctionUrlBridge', '--json']);
    expect(status.stderr).toBe('');
    expect(status.stdout).toContain(url);
  });

  it.each([
    [
      ['deliveries', 'list', '--stack', 'Missing'],
      3,
      'gitlab-bridge: stack Missing not found in the default region; deploy it (npx cdk deploy), pass --stack NAME / set AWS_REGION, or name the resources with --table / --queue-url / --dlq-url\n',
    ],
    [
      ['dlq', 'list', '--stack', 'Incomplete'],
      3,
      'gitlab-bridge: stack Incomplete has no output DeadLetterQueueUrl; redeploy the current version (npx cdk deploy) or pass --dlq-url or BRIDGE_DLQ_URL\n',
    ],
  ])('explains %j', async (argv, code, message) => {
    const run = await cli(env, argv);
    expect(run.code).toBe(code);
    expect(run.stderr).toBe(message);
  });
});
