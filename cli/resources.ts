import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { splitCommaList } from '../lib/config/comma-list.js';
import { ENV } from '../lib/env.js';
import { ConfigError } from '../lib/errors.js';
import { normalizeProjectPath } from '../lib/gitlab/project-identity.js';
import { parseWebhookAuth, type ProjectAuth, type WebhookAuth } from '../lib/gitlab/webhook-auth.js';
import { PLACEHOLDER_PREFIX } from '../lib/secrets/credentials.js';
import { awsErrorToCliError } from './aws-errors.js';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lib/stack-outputs.js';
import { LOCAL_DLQ_NAME, LOCAL_QUEUE_NAME, LOCAL_TABLE_NAME } from '../lib/local/names.js';
import { isLoopbackUrl } from './local-defaults.js';

/** Environment variables the CLI reads besides the AWS SDK's own (names from lib/env.ts). */
export const CLI_ENV = {
  tableName: ENV.tableName,
  queueUrl: ENV.queueUrl,
  dlqUrl: ENV.dlqUrl,
  webhookUrl: ENV.webhookUrl,
  stackName: ENV.stackName,
  gitlabSecretId: ENV.gitlabSecretId,
  webhookToken: ENV.gitlabWebhookToken,
  signingKey: ENV.gitlabSigningKey,
  gitlabUrl: ENV.gitlabUrl,
  gitlabToken: ENV.gitlabToken,
  debug: ENV.cliDebug,
} as const;

/** Flags that name the bridge's resources directly (global options of the CLI). */
export interface ResourceFlags {
  stack?: string;
  table?: string;
  queueUrl?: string;
  dlqUrl?: string;
}

/**
 * Finds the bridge's table, queues, webhook URL and GitLab secret. For each, the first of:
 * a flag, an environment variable, the local bridge's name (when the AWS endpoint variable
 * points at loopback and no stack is named), the deployed stack's outputs (read once, only
 * if needed).
 */
export class BridgeResources {
  private outputs: Promise<Record<string, string>> | undefined;

  constructor(
    private readonly context: CliContext,
    private readonly flags: ResourceFlags,
  ) {}

  get stackName(): string {
    return this.flags.stack || this.context.env[CLI_ENV.stackName] || DEFAULT_STACK_NAME;
  }

  /** A stack named on purpose (--stack, BRIDGE_STACK_NAME) wins over the local bridge's defaults. */
  private get stackNamed(): boolean {
    return Boolean(this.flags.stack || this.context.env[CLI_ENV.stackName]);
  }

  private get localDynamo(): boolean {
    return !this.stackNamed && isLoopbackUrl(this.context.env.AWS_ENDPOINT_URL_DYNAMODB || this.context.env.AWS_ENDPOINT_URL);
  }

  private get localSqs(): boolean {
    return !this.stackNamed && isLoopbackUrl(this.context.env.AWS_ENDPOINT_URL_SQS || this.context.env.AWS_ENDPOINT_URL);
  }

  async tableName(): Promise<string> {
    const given = this.flags.table || this.context.env[CLI_ENV.tableName];
    if (given) return given;
    if (this.localDynamo) return LOCAL_TABLE_NAME;
    return this.output(STACK_OUTPUTS.tableName, '--table or BRIDGE_TABLE_NAME');
  }

  async queueUrl(): Promise<string> {
    const given = this.flags.queueUrl || this.context.env[CLI_ENV.queueUrl];
    if (given) return given;
    if (this.localSqs) return this.localQueueUrl(LOCAL_QUEUE_NAME);
    return this.output(STACK_OUTPUTS.queueUrl, '--queue-url or BRIDGE_QUEUE_URL');
  }

  async dlqUrl(): Promise<string> {
    const given = this.flags.dlqUrl || this.context.env[CLI_ENV.dlqUrl];
    if (given) return given;
    if (this.localSqs) return this.localQueueUrl(LOCAL_DLQ_NAME);
    return this.output(STACK_OUTPUTS.deadLetterQueueUrl, '--dlq-url or BRIDGE_DLQ_URL');
  }

  /** The webhook URL GitLab should call: --webhook-url, BRIDGE_WEBHOOK_URL, or the stack output. */
  async webhookUrl(flag: string | undefined): Promise<string> {
    const given = flag || this.context.env[CLI_ENV.webhookUrl];
    if (given) return given;
    if (this.localDynamo || this.localSqs) {
      // The local bridge listens on 127.0.0.1: only a GitLab on the same machine could call it.
      throw new CliError(
        'no webhook URL for the local bridge',
        EXIT.usage,
        'pass --webhook-url with an address GitLab can reach (e.g. a tunnel to 127.0.0.1:3000), or --stack for a deployed bridge',
      );
    }
    return this.output(STACK_OUTPUTS.webhookUrl, '--webhook-url or BRIDGE_WEBHOOK_URL');
  }

  /**
   * The token (and signing key, if any) GitLab must send: --webhook-token, GITLAB_WEBHOOK_TOKEN,
   * or the first of the bridge's GitLab secret in Secrets Manager (GITLAB_SECRET_ID or the
   * stack's GitLabSecretName output).
   */
  async webhookCredentials(
    flags: { token?: string; signingKey?: string },
    tokenFlag = '--webhook-token',
    project?: string,
  ): Promise<{ token: string; signingKey?: string; source: string }> {
    const token = flags.token || firstOf(this.context.env[CLI_ENV.webhookToken]);
    const signingKey = flags.signingKey || firstOf(this.context.env[CLI_ENV.signingKey]);
    if (token) return { token, ...(signingKey ? { signingKey } : {}), source: flags.token ? tokenFlag : CLI_ENV.webhookToken };
    if ((this.localDynamo || this.localSqs) && !this.context.env[CLI_ENV.gitlabSecretId]) {
      throw new CliError('no webhook token', EXIT.auth, `pass the token the local bridge printed with ${tokenFlag}, or set ${CLI_ENV.webhookToken}`);
    }
    const secretId = this.context.env[CLI_ENV.gitlabSecretId] || (await this.output(STACK_OUTPUTS.gitlabSecretName, `${tokenFlag} or GITLAB_WEBHOOK_TOKEN`));
    let text: string;
    try {
      const result = await this.context.aws.secretsManager().send(new GetSecretValueCommand({ SecretId: secretId }));
      text = result.SecretString ?? '';
    } catch (error) {
      throw awsErrorToCliError(error, { resource: `secret ${secretId}` });
    }
    const parsed = parseBridgeSecret(text, project);
    if (!parsed.token) {
      throw new CliError(
        `secret ${secretId} holds no webhook token`,
        EXIT.auth,
        `set it as docs/deploy.md describes (aws secretsmanager put-secret-value), or pass ${tokenFlag}`,
      );
    }
    const key = signingKey || parsed.signingKey;
    return { token: parsed.token, ...(key ? { signingKey: key } : {}), source: `secret ${secretId}` };
  }

  private async localQueueUrl(name: string): Promise<string> {
    try {
      const result = await this.context.aws.sqs().send(new GetQueueUrlCommand({ QueueName: name }));
      if (result.QueueUrl) return result.QueueUrl;
    } catch (error) {
      throw awsErrorToCliError(error, {
        resource: `local SQS queue ${name}`,
        endpoint: this.context.env.AWS_ENDPOINT_URL_SQS || this.context.env.AWS_ENDPOINT_URL,
      });
    }
    throw new CliError(`local SQS has no queue ${name}`, EXIT.notFound, 'start the local bridge (npm start) or pass --queue-url / --dlq-url');
  }

  private async output(key: string, alternative: string): Promise<string> {
    this.outputs ??= this.describeStack();
    const outputs = await this.outputs;
    const value = outputs[key];
    if (!value) {
      throw new CliError(`stack ${this.stackName} has no output ${key}`, EXIT.notFound, `redeploy the current version (npx cdk deploy) or pass ${alternative}`);
    }
    return value;
  }

  private async describeStack(): Promise<Record<string, string>> {
    const stack = this.stackName;
    try {
      const result = await this.context.aws.cloudformation().send(new DescribeStacksCommand({ StackName: stack }));
      const outputs: Record<string, string> = {};
      for (const output of result.Stacks?.[0]?.Outputs ?? []) {
        if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
      }
      return outputs;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (/does not exist/i.test(message)) {
        const region = this.context.env.AWS_REGION || this.context.env.AWS_DEFAULT_REGION || 'the default region';
        throw new CliError(
          `stack ${stack} not found in ${region}`,
          EXIT.notFound,
          'deploy it (npx cdk deploy), pass --stack NAME / set AWS_REGION, or name the resources with --table / --queue-url / --dlq-url',
        );
      }
      throw awsErrorToCliError(error, { resource: `CloudFormation stack ${stack}` });
    }
  }
}

function firstOf(list: string | undefined): string | undefined {
  return splitCommaList(list)[0];
}

/**
 * Reads the token GitLab should send (and the first signing key) from the bridge's GitLab
 * secret, parsed as the receiver parses it (lib/gitlab/webhook-auth.ts), so what the CLI
 * installs is what the receiver accepts. For `project` (a path, any case, or a numeric id) with
 * credentials of its own in the secret, those; else the global ones. The first usable one is
 * the current one by convention: rotation puts the new token first and keeps the old one after
 * it until every hook is updated.
 */
export function parseBridgeSecret(text: string, project?: string): { token?: string; signingKey?: string } {
  if (!text.trim()) return {};
  let auth: WebhookAuth;
  try {
    auth = parseWebhookAuth(text);
  } catch (error) {
    // Never echo the secret: parseWebhookAuth's messages name only what is wrong with it.
    if (error instanceof ConfigError && /does not parse/.test(error.message)) {
      throw new CliError('the GitLab secret looks like JSON but does not parse', EXIT.auth, 'fix the secret value in Secrets Manager');
    }
    throw new CliError(`the GitLab secret: ${(error as Error).message}`, EXIT.auth, 'fix the secret value in Secrets Manager');
  }
  const entry = project === undefined ? undefined : projectEntry(auth, project);
  const own = entry !== undefined && (entry.tokens.length > 0 || entry.signingKeys.length > 0);
  // The stack creates the secret with a REPLACE_ME placeholder until the operator sets it.
  const usable = (item: string) => item.trim() !== '' && !item.trim().startsWith(PLACEHOLDER_PREFIX);
  return withDefined({
    token: (own ? entry.tokens : auth.tokens).find(usable),
    signingKey: (own ? entry.signingKeys : auth.signingKeys).find(usable),
  });
}

/** The secret's entry for a project given as a path (any case) or as GitLab's numeric id. */
function projectEntry(auth: WebhookAuth, project: string): ProjectAuth | undefined {
  const byPath = auth.projects.get(normalizeProjectPath(project));
  if (byPath || !/^\d+$/.test(project)) return byPath;
  return [...auth.projects.values()].find((entry) => entry.id === Number(project));
}

function withDefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
