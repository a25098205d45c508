import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Node } from 'constructs';
import { z } from 'zod';
import { loadConfigFile } from '../lib/config/load.js';
import { resolveConfig } from '../lib/config/resolve.js';
import { DEFAULTS } from '../lib/defaults.js';
import { ENV, type EnvName } from '../lib/env.js';
import { ConfigError } from '../lib/errors.js';
import { gitlabInstanceRoot } from '../lib/gitlab/access.js';
import { WEBHOOK_ENDPOINTS, type WebhookEndpoint } from '../lib/receiver/webhook-path.js';
import { DEFAULT_STACK_NAME } from '../lib/stack-outputs.js';
import { REPO_ROOT } from './paths.js';

/**
 * Deployment settings, read from CDK context (`cdk deploy -c key=value`, or the `context`
 * block of cdk.json). Every key is optional; the defaults are what most teams want.
 */
export interface BridgeSettings {
  /** CloudFormation stack name (`-c stackName=...`). Default `GitLabBridge`. */
  stackName: string;
  /**
   * Routing config file, already validated (`-c config=path`). Default: `bridge.config.json`
   * at the repository root when it exists; `-c config=none` or no file means zero-config.
   */
  routingConfigPath: string | undefined;
  /** Email address subscribed to the alarm topic (`-c alarmEmail=...`). */
  alarmEmail: string | undefined;
  /**
   * Keep the delivery table, secrets and logs when the stack is deleted (`-c retainData=false`
   * for throwaway stacks). Default true: `cdk destroy` must not silently delete the delivery log.
   */
  retainData: boolean;
  /** Days a delivery record is kept before DynamoDB's TTL removes it (`-c retentionDays=30`). */
  retentionDays: number;
  /** Worker attempts before SQS moves a delivery to the dead-letter queue (`-c maxAttempts=5`). */
  maxAttempts: number;
  /** Most worker instances at once (`-c workerMaxConcurrency=5`): caps calls into Slack and Jira. */
  workerMaxConcurrency: number;
  /** The worker's Lambda memory in MB (`-c workerMemoryMb=256`); see {@link DEFAULT_WORKER_MEMORY_MB}. */
  workerMemoryMb: number;
  /** Largest accepted webhook body in bytes (`-c maxBodyBytes=...`); the receiver's default when absent. */
  maxBodyBytes: number | undefined;
  /**
   * What GitLab and Slack call (`-c endpoint=functionUrl`): `api` (default), an API Gateway HTTP
   * API with rate and burst throttling and access logs; `functionUrl`, a Lambda function URL on
   * the receiver (no per-request charge; the receiver's reserved concurrency is the only flood
   * cap). docs/deploy.md, "Endpoint".
   */
  endpoint: WebhookEndpoint;
  /** API Gateway steady-state requests per second (`-c apiRateLimit=50`). */
  apiRateLimit: number;
  /** API Gateway burst (`-c apiBurstLimit=100`). */
  apiBurstLimit: number;
  /**
   * Lambda concurrency reserved for the receiver (`-c receiverReservedConcurrency=100`, or
   * `none` for no reservation). Default: the API burst limit (100 with a function URL, where
   * `none` is refused). See {@link readReceiverReservedConcurrency}.
   */
  receiverReservedConcurrency: number | undefined;
  /**
   * The GitLab instance the worker calls the API on (`-c gitlabUrl=https://gitlab.example.com`),
   * as its root; absent: the origin of each event's project URL. See lib/gitlab/access.ts.
   */
  gitlabUrl: string | undefined;
  /**
   * Recovery (docs/recovery.md): minutes between scans of GitLab's hook event log
   * (`-c recoveryInterval=10`), the projects to scan (`-c recoveryProjects=group/a,group/b`;
   * default every project the API token maintains) and the mode (`-c recoveryMode=resend`).
   */
  recovery: { intervalMinutes: number; projects: string | undefined; mode: 'ingest' | 'resend' };
  /** Zero-config routing: non-secret settings passed to the worker's environment. */
  zeroConfig: { slackChannel?: string; jiraHost?: string; jiraProjectKeys?: string };
}

/**
 * Lambda rejects a synchronous invocation whose event is over 6 MB (Lambda quotas: "Invocation
 * payload (request and response) 6 MB"); the event carries the body plus headers and JSON
 * escaping, so the receiver's limit must leave room below that.
 */
export const MAX_BODY_BYTES_CEILING = 5 * 1024 * 1024 + 512 * 1024;

/**
 * The worker's memory. 256 MB: the worker mostly waits on Slack, Jira and DynamoDB (the bench's
 * pipeline-heavy mix spends most of its billed time off the CPU), and Lambda bills GB-seconds,
 * so half the memory is about half the worker's compute cost. Lambda allots CPU in proportion to
 * memory, so its cold start (module loading, CPU-bound) is slower: that delays a first notice,
 * not GitLab's answer (the receiver answers). 128 MB would leave too little headroom for Node,
 * the AWS SDK and the Slack and Jira clients. Lambda accepts 128 to 10,240 MB.
 */
export const DEFAULT_WORKER_MEMORY_MB = 256;
const MIN_LAMBDA_MEMORY_MB = 128;
const MAX_LAMBDA_MEMORY_MB = 10_240;

/** SQS event source mappings accept a maximum concurrency from 2 to 1000. */
const MIN_WORKER_CONCURRENCY = 2;
const MAX_WORKER_CONCURRENCY = 1000;

export const DEFAULT_CONFIG_FILE = 'bridge.config.json';

/**
 * One context value as CDK hands it over: text from `-c key=value`, or a JSON scalar from
 * cdk.json's `context` block. Blank text counts as absent.
 */
const ContextValueSchema = z
  .union([z.string(), z.number(), z.boolean()])
  .nullish()
  .transform((value) => (value === undefined || value === null ? undefined : String(value).trim() || undefined));

/** A whole number in a range, written as text (`-c maxAttempts=8`): `Number`'s reading, as before zod. */
const wholeNumber = (range: { min: number; max: number }) => z.coerce.number().int().min(range.min).max(range.max);

const BooleanTextSchema = z.enum(['true', 'false']).transform((text) => text === 'true');

function contextString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  const parsed = ContextValueSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`context ${key}: expected a single value, got ${JSON.stringify(value)}`);
  return parsed.data;
}

function contextInt(node: Node, key: string, fallback: number, range: { min: number; max: number }): number {
  const text = contextString(node, key);
  if (text === undefined) return fallback;
  const parsed = wholeNumber(range).safeParse(text);
  if (!parsed.success) {
    throw new ConfigError(`context ${key}: expected a whole number from ${range.min} to ${range.max}, got "${text}" (cdk synth -c ${key}=...)`);
  }
  return parsed.data;
}

function contextBoolean(node: Node, key: string, fallback: boolean): boolean {
  const text = contextString(node, key);
  if (text === undefined) return fallback;
  const parsed = BooleanTextSchema.safeParse(text);
  if (!parsed.success) throw new ConfigError(`context ${key}: expected true or false, got "${text}"`);
  return parsed.data;
}

/**
 * CloudFormation: "A stack name can contain only alphanumeric characters (case-sensitive) and
 * hyphens. It must start with an alphabetic character and can't be longer than 128 characters."
 */
const StackNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/);
/** Only the shape (x@y.z): the subscription's confirmation email proves the rest. */
const AlarmEmailSchema = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);

/**
 * Finds the routing config the worker ships with and validates it now, so a bad file fails
 * `cdk synth` with the loader's message (`bridge.config.json: routes[2].slack.channel ...`)
 * instead of failing every delivery after deploy.
 */
export function resolveRoutingConfigPath(node: Node, cwd = process.cwd()): string | undefined {
  const requested = contextString(node, 'config');
  if (requested === 'none') return undefined;
  let path: string;
  if (requested !== undefined) {
    path = isAbsolute(requested) ? requested : resolve(cwd, requested);
    if (!existsSync(path)) throw new ConfigError(`${requested}: config file not found (context config, resolved to ${path})`);
  } else {
    path = resolve(REPO_ROOT, DEFAULT_CONFIG_FILE);
    if (!existsSync(path)) return undefined;
  }
  loadConfigFile(path);
  return path;
}

/** The context key that sets each zero-config variable of the worker. */
const ZERO_CONFIG_KEYS = {
  slackChannel: ENV.slackChannel,
  jiraHost: ENV.jiraHost,
  jiraProjectKeys: ENV.jiraProjectKeys,
} as const satisfies Record<keyof BridgeSettings['zeroConfig'], EnvName>;

/**
 * The worker builds its zero-config routing from these settings at cold start (lib/config/resolve.ts)
 * and ignores them when it has a config file. Both mistakes would surface only after deploy (a
 * cold-start error on every batch until each delivery reaches the dead-letter queue, or a channel
 * that is never posted to), so synth runs the worker's own check and names the context key.
 */
function checkZeroConfig(zeroConfig: BridgeSettings['zeroConfig'], routingConfigPath: string | undefined): void {
  const keys = Object.keys(zeroConfig) as (keyof typeof ZERO_CONFIG_KEYS)[];
  if (keys.length === 0) return;
  if (routingConfigPath !== undefined) {
    const [key] = keys;
    throw new ConfigError(
      `context ${key}: zero-config settings (${keys.join(', ')}) are ignored when the worker has a config file (${routingConfigPath}); put them in the file, or pass -c config=none`,
    );
  }
  if (zeroConfig.jiraProjectKeys !== undefined && zeroConfig.jiraHost === undefined) {
    throw new ConfigError('context jiraProjectKeys: only used with -c jiraHost (the Jira site URL); without it Jira is off');
  }
  const env: NodeJS.ProcessEnv = {};
  for (const key of keys) env[ZERO_CONFIG_KEYS[key]] = zeroConfig[key];
  try {
    resolveConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    let message = error.message;
    for (const key of keys) message = message.replaceAll(ZERO_CONFIG_KEYS[key], `context ${key}`);
    // A schema message names the config key (`environment: jira.host ...`), not the context key.
    if (!keys.some((key) => message.includes(`context ${key}`))) message = `context ${keys.join(', ')}: ${message}`;
    throw new ConfigError(message);
  }
}

/** Lambda's most concurrency for one function is the account limit; 1000 is its default. */
const MAX_RESERVED_CONCURRENCY = 1000;

/**
 * The receiver's reserved concurrency. A reservation is both a floor and a ceiling: a flood of
 * webhooks cannot take the account's concurrency from the worker or other functions (the
 * receiver never runs more than this), and other functions cannot take the receiver's share
 * (GitLab's deliveries keep their capacity). It must be at least the API's burst limit:
 * API Gateway lets a burst of that many requests through at once, and a request Lambda then
 * throttles is answered 500 by API Gateway, where the throttle would have answered 429.
 * Lambda keeps 100 of the account's concurrency unreserved, so an account limited below
 * 100 + this value (new accounts can start at 10) needs `none` or a smaller burst limit.
 * Behind a function URL there is no API burst: any value from 1 goes, and `none` is refused.
 */
function readReceiverReservedConcurrency(node: Node, apiBurstLimit: number, endpoint: WebhookEndpoint): number | undefined {
  if (contextString(node, 'receiverReservedConcurrency') === 'none') {
    if (endpoint === 'functionUrl') {
      // Without API Gateway's throttle the reservation is the only cap on a flood (a function URL
      // has no rate limit of its own): without it, a flood could take the account's concurrency.
      throw new ConfigError(
        'context receiverReservedConcurrency: none is refused with -c endpoint=functionUrl; the reservation is then the only flood cap. Give a number, or use -c endpoint=api',
      );
    }
    return undefined;
  }
  const reserved = contextInt(node, 'receiverReservedConcurrency', apiBurstLimit, { min: 1, max: MAX_RESERVED_CONCURRENCY });
  if (endpoint === 'api' && reserved < apiBurstLimit) {
    throw new ConfigError(
      `context receiverReservedConcurrency: ${reserved} is below apiBurstLimit (${apiBurstLimit}); a burst API Gateway lets through would meet Lambda throttling, answered with 500 instead of 429. Raise it, lower -c apiBurstLimit, or pass -c receiverReservedConcurrency=none`,
    );
  }
  return reserved;
}

/** The worker's GITLAB_URL, checked as the worker reads it: a value it would refuse fails synth instead. */
function readGitLabUrl(node: Node): string | undefined {
  const value = contextString(node, 'gitlabUrl');
  if (value === undefined) return undefined;
  const checked = gitlabInstanceRoot(value, `"${value}"`);
  if (checked.unavailable !== undefined) throw new ConfigError(`context gitlabUrl: ${checked.unavailable}`);
  return checked.root;
}

/** The recovery schedule; GitLab keeps 7 days of hook events, so a scan at least daily loses nothing. */
function readRecovery(node: Node): BridgeSettings['recovery'] {
  const mode = contextString(node, 'recoveryMode') ?? 'ingest';
  if (mode !== 'ingest' && mode !== 'resend') throw new ConfigError(`context recoveryMode: "${mode}" is not ingest or resend`);
  return {
    intervalMinutes: contextInt(node, 'recoveryInterval', 10, { min: 5, max: 1440 }),
    projects: contextString(node, 'recoveryProjects'),
    mode,
  };
}

/**
 * The endpoint; API Gateway's throttle settings mean nothing without API Gateway, so giving them
 * with a function URL fails rather than leaving a limit the deployer believes in unenforced.
 */
function readEndpoint(node: Node): WebhookEndpoint {
  const text = contextString(node, 'endpoint') ?? 'api';
  const endpoint = WEBHOOK_ENDPOINTS.find((known) => known === text);
  if (endpoint === undefined) throw new ConfigError(`context endpoint: "${text}" is not one of ${WEBHOOK_ENDPOINTS.join(', ')}`);
  if (endpoint === 'functionUrl') {
    for (const key of ['apiRateLimit', 'apiBurstLimit']) {
      if (contextString(node, key) !== undefined) {
        throw new ConfigError(
          `context ${key}: API Gateway throttling does not exist with -c endpoint=functionUrl; cap a flood with -c receiverReservedConcurrency instead (docs/deploy.md, "Endpoint")`,
        );
      }
    }
  }
  return endpoint;
}

/** Reads and checks every setting; throws ConfigError naming the context key at fault. */
export function readBridgeSettings(node: Node, cwd = process.cwd()): BridgeSettings {
  const alarmEmail = contextString(node, 'alarmEmail');
  if (alarmEmail !== undefined && !AlarmEmailSchema.safeParse(alarmEmail).success) {
    throw new ConfigError(`context alarmEmail: "${alarmEmail}" is not an email address`);
  }
  const stackName = contextString(node, 'stackName') ?? DEFAULT_STACK_NAME;
  if (!StackNameSchema.safeParse(stackName).success) {
    throw new ConfigError(`context stackName: "${stackName}" is not a valid CloudFormation stack name (letters, digits, hyphens; starts with a letter)`);
  }
  const maxBodyText = contextString(node, 'maxBodyBytes');
  const maxBodyBytes = maxBodyText === undefined ? undefined : contextInt(node, 'maxBodyBytes', 0, { min: 1024, max: MAX_BODY_BYTES_CEILING });
  const zeroConfig: BridgeSettings['zeroConfig'] = {};
  const slackChannel = contextString(node, 'slackChannel');
  const jiraHost = contextString(node, 'jiraHost');
  const jiraProjectKeys = contextString(node, 'jiraProjectKeys');
  if (slackChannel) zeroConfig.slackChannel = slackChannel;
  if (jiraHost) zeroConfig.jiraHost = jiraHost;
  if (jiraProjectKeys) zeroConfig.jiraProjectKeys = jiraProjectKeys;
  const routingConfigPath = resolveRoutingConfigPath(node, cwd);
  const endpoint = readEndpoint(node);
  const apiBurstLimit = contextInt(node, 'apiBurstLimit', 100, { min: 1, max: 5_000 });
  checkZeroConfig(zeroConfig, routingConfigPath);
  return {
    stackName,
    routingConfigPath,
    alarmEmail,
    retainData: contextBoolean(node, 'retainData', true),
    retentionDays: contextInt(node, 'retentionDays', DEFAULTS.retentionDays, { min: 1, max: 3650 }),
    maxAttempts: contextInt(node, 'maxAttempts', DEFAULTS.maxAttempts, { min: 1, max: 1000 }),
    workerMaxConcurrency: contextInt(node, 'workerMaxConcurrency', 5, { min: MIN_WORKER_CONCURRENCY, max: MAX_WORKER_CONCURRENCY }),
    workerMemoryMb: contextInt(node, 'workerMemoryMb', DEFAULT_WORKER_MEMORY_MB, { min: MIN_LAMBDA_MEMORY_MB, max: MAX_LAMBDA_MEMORY_MB }),
    maxBodyBytes,
    endpoint,
    apiRateLimit: contextInt(node, 'apiRateLimit', 50, { min: 1, max: 10_000 }),
    apiBurstLimit,
    receiverReservedConcurrency: readReceiverReservedConcurrency(node, apiBurstLimit, endpoint),
    gitlabUrl: readGitLabUrl(node),
    recovery: readRecovery(node),
    zeroConfig,
  };
}
