import { join } from 'node:path';
import { Validations, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, SourceMapMode, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvName } from '../../lib/env.js';
import { LOCK_FILE, REPO_ROOT } from '../paths.js';

/**
 * esbuild writes ESM (`index.mjs`), but some bundled dependencies are CommonJS and call
 * `require` for Node built-ins; ESM has no `require`, so the banner defines one.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Where Lambda unpacks the function's code (LAMBDA_TASK_ROOT). */
export const LAMBDA_TASK_ROOT = '/var/task';

/** DynamoDB item actions, named so a grant reads as what the function does. */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

export interface BridgeFunctionProps {
  /** TypeScript entry exporting `handler`. */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Non-secret settings. Secret *ids* go through bindSecret; secret values never go here. */
  environment?: Partial<Record<EnvName, string>>;
  /** Files copied into the bundle next to index.mjs, as `{ source: absolute path, name }`. */
  extraFiles?: ReadonlyArray<{ source: string; name: string }>;
  /** Concurrency reserved for (and capping) this function; absent: it shares the account's pool. */
  reservedConcurrentExecutions?: number;
}

/**
 * The command hook that copies one file into the bundle. Local bundling runs hooks with
 * `bash -c` (or `cmd /c` on Windows), so the command and its quoting follow the platform.
 */
export function copyCommand(source: string, target: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `copy /Y "${source}" "${target}"`;
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  return `cp ${quote(source)} ${quote(target)}`;
}

/**
 * One Lambda function with the bridge's defaults: Node 24 on arm64 (Graviton: about 20% cheaper
 * per GB-second than x86 for the same work), bundled by the locally installed esbuild (no
 * Docker), ESM, minified with source maps, the AWS SDK bundled, active X-Ray tracing, its own
 * log group with retention, and its own role that starts with nothing but its log group.
 * The `bind*` methods grant one access and set the matching environment variable together.
 */
export class BridgeFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });

    // An explicit role instead of the default one: the default attaches the managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group); this one may only write its own.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));

    const extraFiles = props.extraFiles ?? [];
    const commandHooks: ICommandHooks | undefined =
      extraFiles.length === 0
        ? undefined
        : {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_inputDir: string, outputDir: string) => extraFiles.map((file) => copyCommand(file.source, join(outputDir, file.name))),
          };

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: {
        // Stack traces point into the TypeScript sources instead of minified index.mjs.
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.environment as Record<string, string> | undefined),
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        // Prefer a package's ESM build (`module`) so esbuild can tree-shake it.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Keep the .map small: names and mappings are enough for stack traces.
        sourcesContent: false,
        // The Node 24 runtime ships an AWS SDK v3, but its version moves under us. Bundling pins
        // the exact SDK the tests ran against, and a minified single file loads faster at cold
        // start than the runtime's many-file SDK.
        bundleAwsSDK: true,
        ...(commandHooks ? { commandHooks } : {}),
      },
    });

    // X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions
    // (Service Authorization Reference, "Actions defined by AWS X-Ray": no resource types),
    // so Lambda's active tracing can only be granted on "*".
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) is granted on "*": those actions support no resource-level permissions. Every data action of this role names its table, queue, secret or log group.',
    });
  }

  /** Grants item-level actions on the table (not its indexes) and sets the table name variable. */
  bindTable(envName: EnvName, table: ITable, actions: readonly TableAction[]): void {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }));
    this.function.addEnvironment(envName, table.tableName);
  }

  /** Grants sqs:SendMessage on the queue and sets the queue URL variable. */
  bindQueueSender(envName: EnvName, queue: IQueue): void {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    this.function.addEnvironment(envName, queue.queueUrl);
  }

  /**
   * Makes the function the queue's consumer: an event source mapping with partial batch
   * responses (its grant is what Lambda's poller needs: ReceiveMessage, DeleteMessage,
   * ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl), and the queue URL variable the
   * worker uses to push a rate-limited message's visibility out to the downstream's Retry-After.
   */
  bindQueueConsumer(envName: EnvName, queue: IQueue, options: { batchSize: number; maxConcurrency: number }): void {
    this.function.addEventSource(
      new SqsEventSource(queue, { batchSize: options.batchSize, maxConcurrency: options.maxConcurrency, reportBatchItemFailures: true }),
    );
    this.function.addEnvironment(envName, queue.queueUrl);
  }

  /** Grants GetSecretValue on the secret and sets the variable to its ARN (the id, never the value). */
  bindSecret(envName: EnvName, secret: ISecret): void {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    this.function.addEnvironment(envName, secret.secretArn);
  }

  /** Path a file shipped with `extraFiles` has inside the running function. */
  static deployedPath(name: string): string {
    return `${LAMBDA_TASK_ROOT}/${name}`;
  }
}
