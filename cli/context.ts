import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from '../lib/local/names.js';
import { isLoopbackUrl } from './local-defaults.js';

/** Where a command writes. `isTTY` decides between a progress bar and plain lines. */
export interface Output {
  write(text: string): void;
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
  /**
   * The unfiltered stream under a terminal-safe one (cli/format/terminal-safe.ts), for the
   * CLI's own control sequences only: the progress bar's in-place redraw.
   */
  raw?: Output;
}

/** The AWS clients a command may need, created on first use. */
export interface AwsClients {
  dynamodb(): DynamoDBClient;
  sqs(): SQSClient;
  cloudformation(): CloudFormationClient;
  secretsManager(): SecretsManagerClient;
  /** Closes the clients that were created (keep-alive sockets would hold the process open). */
  destroy(): void;
}

/**
 * Everything a command touches outside itself. `bin/gitlab-bridge.js` wires the real process;
 * tests wire local servers and capture the output, and run commands in-process.
 */
export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  aws: AwsClients;
  fetch: typeof fetch;
  /** All of stdin as text (secrets piped in with --token-stdin). */
  readStdin(): Promise<string>;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

type ServiceEnv = 'DYNAMODB' | 'SQS' | 'CLOUDFORMATION' | 'SECRETS_MANAGER';

/**
 * Client settings for one service. The endpoint comes from the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` (or `AWS_ENDPOINT_URL`), read here from `env` rather than left to
 * the SDK so an in-process run with its own env behaves like the real process. A loopback
 * endpoint (the local bridge) gets a default region and placeholder credentials when the
 * environment has none, since local servers accept any.
 */
export function clientConfig(
  env: Record<string, string | undefined>,
  service: ServiceEnv,
): {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const local = isLoopbackUrl(endpoint);
  const hasOwnCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : local ? { region: LOCAL_AWS.region } : {}),
    ...(local && !hasOwnCredentials ? { credentials: { ...LOCAL_AWS.credentials } } : {}),
  };
}

/**
 * Bounds of every AWS call the CLI makes. The SDK's defaults are none at all (0 disables both),
 * so an endpoint that accepts the connection and never answers would hang the command. 30 s
 * is far above a healthy answer (the longest call is the DLQ read, a 1 s long poll).
 */
export const AWS_CLIENT_TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true } as const;

/** AWS clients configured from `env` (see clientConfig), created lazily, each call bounded. */
export function createAwsClients(
  env: Record<string, string | undefined>,
  timeouts: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean } = AWS_CLIENT_TIMEOUTS,
): AwsClients {
  const config = (service: ServiceEnv) => ({ ...clientConfig(env, service), requestHandler: { ...timeouts } });
  let dynamodb: DynamoDBClient | undefined;
  let sqs: SQSClient | undefined;
  let cloudformation: CloudFormationClient | undefined;
  let secretsManager: SecretsManagerClient | undefined;
  return {
    dynamodb: () => (dynamodb ??= new DynamoDBClient(config('DYNAMODB'))),
    sqs: () => (sqs ??= new SQSClient(config('SQS'))),
    cloudformation: () => (cloudformation ??= new CloudFormationClient(config('CLOUDFORMATION'))),
    secretsManager: () => (secretsManager ??= new SecretsManagerClient(config('SECRETS_MANAGER'))),
    destroy: () => {
      for (const client of [dynamodb, sqs, cloudformation, secretsManager]) client?.destroy();
    },
  };
}

/** The context of the real process. */
export function processContext(): CliContext {
  const env = process.env;
  return {
    env,
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true, columns: process.stdout.columns },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true, columns: process.stderr.columns },
    aws: createAwsClients(env),
    fetch: globalThis.fetch,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
