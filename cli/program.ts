import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { splitCommaList } from '../lib/config/comma-list.js';
import { WEBHOOK_PATH } from '../lib/receiver/webhook-path.js';
import { awsErrorToCliError } from './aws-errors.js';
import { openDeliveryQueue, openDeliveryStore } from './bridge-clients.js';
import { listDeliveriesCommand, replayCommand, showDeliveryCommand } from './commands/deliveries.js';
import { dlqListCommand, dlqReader, dlqRedriveCommand } from './commands/dlq.js';
import { connectCommand, DEFAULT_TEST_WAIT_SECONDS, disconnectCommand, gitlabApi, statusCommand, warnTokenFlag } from './commands/gitlab.js';
import { sendSampleCommand } from './commands/send-sample.js';
import type { CliContext } from './context.js';
import { STATUS_FILTER_VALUES } from './delivery-filters.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { BRANCH_FILTER_STRATEGIES, DEFAULT_HOOK_EVENTS, HOOK_EVENT_FLAGS } from './gitlab/hook-plan.js';
import { terminalSafeOutput } from './format/terminal-safe.js';
import { LOCAL_WEBHOOK_URL } from '../lib/local/names.js';
import { isLoopbackUrl } from './local-defaults.js';
import { BridgeResources, CLI_ENV, type ResourceFlags } from './resources.js';
import { SAMPLE_KINDS, SAMPLES } from './samples.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positiveInt(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number.`);
    return number;
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`${name} must be a whole number of seconds.`);
    return number;
  };
}

/** Options with the boolean flags defaulted to false (no "(default: false)" noise in --help). */
function opts<T>(command: Command): T {
  return { json: false, force: false, dryRun: false, keepIds: false, ...command.opts() } as T;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...splitCommaList(value)];
}

const STATUS_HELP = `one or more of ${STATUS_FILTER_VALUES.join(', ')} (comma-separated); successful = done+ignored, client_failure = refused for good (4xx, config), server_failure = downstream down (5xx, timeouts) or retrying`;

/** Where the AWS-side settings come from, shown under every command's --help. */
const RESOURCES_HELP = `
The bridge's table and queues come from --table/--queue-url/--dlq-url, then ${CLI_ENV.tableName}/${CLI_ENV.queueUrl}/${CLI_ENV.dlqUrl},
then the local bridge's names when AWS_ENDPOINT_URL_DYNAMODB/AWS_ENDPOINT_URL_SQS point at 127.0.0.1 (what \`npm start\` prints),
then the outputs of the CloudFormation stack (--stack, default GitLabBridge) read with your usual AWS credentials.`;

/**
 * The commander layer: flags and help only. Each action hands plain options to a command
 * function in ./commands, which does the work against the injected context.
 */
export function buildProgram(context: CliContext, setExit: (code: ExitCode) => void): Command {
  const program = new Command('gitlab-bridge');
  program
    .description('Operate gitlab-bridge: the delivery log, replays, the dead-letter queue, GitLab project webhooks, and sample events.')
    .version(packageVersion(), '-V, --version')
    .option('--stack <name>', `CloudFormation stack to read the table, queues and webhook URL from (env ${CLI_ENV.stackName})`, undefined)
    .option('--table <name>', `DynamoDB table of the delivery log (env ${CLI_ENV.tableName})`)
    .option('--queue-url <url>', `SQS queue the worker reads (env ${CLI_ENV.queueUrl})`)
    .option('--dlq-url <url>', `SQS dead-letter queue (env ${CLI_ENV.dlqUrl})`)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      outputError: (text, write) => write(usageErrorLine(text)),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `${RESOURCES_HELP}

Exit codes: 0 ok, 1 failed, 2 usage or missing setting, 3 not found, 4 credentials refused or missing.
Docs: README.md, section "The gitlab-bridge CLI"`,
    );

  const resources = (command: Command) => new BridgeResources(context, command.optsWithGlobals<ResourceFlags>());
  const run =
    (work: (command: Command) => Promise<ExitCode>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      setExit(await work(command));
    };

  // deliveries
  const deliveries = program.command('deliveries').description('The delivery log: what the bridge received and what it did with each event.');
  deliveries
    .command('list')
    .description('List deliveries, newest first.')
    .option('-p, --project <path>', 'only this project (full path, e.g. group/app)')
    .option('-s, --status <status>', STATUS_HELP)
    .option('--since <when>', 'only deliveries received since: 30m, 12h, 7d, 2w, or an ISO time')
    .option('--before <time>', 'page cursor: only deliveries received before this ISO time (printed as nextBefore)')
    .option('-n, --limit <n>', 'how many to show', positiveInt('--limit'), 20)
    .option('--json', 'JSON for scripts: { items, nextBefore? }')
    .addHelpText(
      'after',
      "\nExamples:\n  gitlab-bridge deliveries list --status server_failure --since 1d\n  gitlab-bridge deliveries list --project group/app --json | jq -r '.items[].id'",
    )
    .action(
      run(async (command) => {
        const options = opts<{ project?: string; status?: string; since?: string; before?: string; limit: number; json: boolean }>(command);
        return listDeliveriesCommand(context, await openDeliveryStore(context, resources(command)), options);
      }),
    );
  deliveries
    .command('show')
    .description("Show one delivery: its record, each action's outcome, the request headers (token redacted) and the payload.")
    .argument('<id>', 'delivery id (the Idempotency-Key GitLab sent, shown by `deliveries list`)')
    .option('--json', 'the record as JSON, payload parsed')
    .action(
      run(async (command) => {
        const [id] = command.args as [string];
        return showDeliveryCommand(context, await openDeliveryStore(context, resources(command)), id, opts<{ json: boolean }>(command));
      }),
    );
  deliveries
    .command('replay')
    .description('Run deliveries again through the queue. Actions that already succeeded are skipped (their effect keys hold) unless --force.')
    .argument('[ids...]', 'delivery ids; or select with --status/--since/--project')
    .option('-s, --status <status>', `select by status: ${STATUS_HELP}`)
    .option('--since <when>', 'select deliveries received since: 30m, 12h, 1d, or an ISO time')
    .option('-p, --project <path>', 'select deliveries of this project')
    .option('--before <time>', 'page cursor: only deliveries received before this ISO time (printed when --limit stops a bulk replay)')
    .option('-n, --limit <n>', 'at most this many in one bulk replay', positiveInt('--limit'), 500)
    .option('--force', 're-run actions that already succeeded (posts again)')
    .option('--dry-run', 'show what would be replayed, change nothing')
    .option('--json', 'the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  gitlab-bridge deliveries replay 7f0c6a52-3c2e-4f0e-9a57-2b1f2b7f1c11\n  gitlab-bridge deliveries replay --status server_failure --since 1d',
    )
    .action(
      run(async (command) => {
        const options = opts<{
          status?: string;
          since?: string;
          project?: string;
          before?: string;
          limit: number;
          force: boolean;
          dryRun: boolean;
          json: boolean;
        }>(command);
        const bridge = resources(command);
        const store = await openDeliveryStore(context, bridge);
        const queue = options.dryRun ? undefined : await openDeliveryQueue(context, bridge);
        return replayCommand(context, store, queue, { ...options, ids: command.args });
      }),
    );

  // dlq
  const dlq = program.command('dlq').description('The dead-letter queue: deliveries that failed every attempt.');
  dlq
    .command('list')
    .description('List dead-lettered deliveries without consuming them.')
    .option('-n, --limit <n>', 'read at most this many messages', positiveInt('--limit'), 100)
    .option('--json', 'JSON for scripts')
    .action(
      run(async (command) => {
        const bridge = resources(command);
        const reader = dlqReader(context, await bridge.dlqUrl());
        // The delivery log adds event, project and reason; without a table the list still works.
        const store = await openDeliveryStore(context, bridge).catch((error: unknown) => {
          context.stderr.write(`note: delivery details unavailable (${error instanceof CliError ? error.line() : String(error)})\n`);
          return undefined;
        });
        return dlqListCommand(context, reader, store, opts<{ limit: number; json: boolean }>(command));
      }),
    );
  dlq
    .command('redrive')
    .description("Move dead-lettered deliveries back to the worker's queue (as replays: succeeded actions are skipped).")
    .argument('[ids...]', 'only these delivery ids (default: all)')
    .option('-n, --limit <n>', 'move at most this many', positiveInt('--limit'), 1000)
    .option('--dry-run', 'show what would move, change nothing')
    .option('--json', 'the summary as JSON')
    .action(
      run(async (command) => {
        const bridge = resources(command);
        const reader = dlqReader(context, await bridge.dlqUrl());
        const store = await openDeliveryStore(context, bridge);
        const queue = await openDeliveryQueue(context, bridge);
        return dlqRedriveCommand(context, reader, store, queue, { ...opts<{ limit: number; dryRun: boolean; json: boolean }>(command), ids: command.args });
      }),
    );

  // gitlab
  const gitlab = program.command('gitlab').description('Connect GitLab projects to the bridge (project webhooks, GitLab REST API v4).');
  const gitlabAccess = (command: Command) =>
    command
      .option('--gitlab-url <url>', `GitLab instance (env ${CLI_ENV.gitlabUrl}, default https://gitlab.com)`)
      .option('--token-stdin', `read the access token (api scope) from stdin instead of env ${CLI_ENV.gitlabToken}`)
      .option('--gitlab-token <token>', `access token; prefer env ${CLI_ENV.gitlabToken} or --token-stdin (a flag is visible in \`ps\` and shell history)`)
      .option('--webhook-url <url>', `the bridge's webhook URL (env ${CLI_ENV.webhookUrl}; default: the stack's WebhookUrl output)`);
  gitlabAccess(
    gitlab
      .command('connect')
      .description('Create or update (same URL: no duplicate) the project webhook that sends events to the bridge.')
      .requiredOption('-p, --project <path>', 'project path (group/app) or numeric id')
      .option('--events <list>', `events to send: ${Object.keys(HOOK_EVENT_FLAGS).join(', ')}`, DEFAULT_HOOK_EVENTS.join(','))
      .option('--branch-filter <filter>', 'push_events_branch_filter: only pushes to these branches (e.g. main, release/*)')
      .addOption(new Option('--branch-filter-strategy <strategy>', 'how GitLab reads --branch-filter').choices(BRANCH_FILTER_STRATEGIES))
      .option('--no-ssl-verification', 'let GitLab skip TLS certificate checks (only for a self-signed bridge endpoint)')
      .option('--webhook-token <token>', `token GitLab sends (env ${CLI_ENV.webhookToken}; default: the first token in the bridge's GitLab secret)`)
      .option('--signing-key <whsec>', `Standard Webhooks signing token for GitLab 18.x (env ${CLI_ENV.signingKey}; default: the secret's signingKeys[0])`)
      .option('--test [trigger]', 'then have GitLab send a test event (default push) and wait for it to reach the bridge')
      .option('--wait <seconds>', 'how long --test waits for the delivery', nonNegativeInt('--wait'), DEFAULT_TEST_WAIT_SECONDS)
      .option('--json', 'the result as JSON'),
  )
    .addHelpText('after', '\nExample:\n  GITLAB_URL=https://gitlab.example.com GITLAB_TOKEN=glpat-... gitlab-bridge gitlab connect --project group/app --test')
    .action(
      run(async (command) => {
        const options = opts<{
          project: string;
          events: string;
          branchFilter?: string;
          branchFilterStrategy?: string;
          sslVerification: boolean;
          webhookToken?: string;
          signingKey?: string;
          test?: string | boolean;
          wait: number;
          json: boolean;
          gitlabUrl?: string;
          gitlabToken?: string;
          tokenStdin?: boolean;
          webhookUrl?: string;
        }>(command);
        const api = await gitlabApi(context, options);
        if (options.webhookToken) warnTokenFlag(context, '--webhook-token', `${CLI_ENV.webhookToken} or the bridge's GitLab secret`);
        if (options.signingKey) warnTokenFlag(context, '--signing-key', `${CLI_ENV.signingKey} or the bridge's GitLab secret`);
        const bridge = resources(command);
        const webhookUrl = await bridge.webhookUrl(options.webhookUrl);
        const credentials = await bridge.webhookCredentials({
          ...(options.webhookToken ? { token: options.webhookToken } : {}),
          ...(options.signingKey ? { signingKey: options.signingKey } : {}),
        });
        return connectCommand(context, api, () => openDeliveryStore(context, bridge), {
          project: options.project,
          webhookUrl,
          token: credentials.token,
          ...(credentials.signingKey ? { signingKey: credentials.signingKey } : {}),
          events: options.events,
          ...(options.branchFilter !== undefined ? { branchFilter: options.branchFilter } : {}),
          ...(options.branchFilterStrategy ? { branchFilterStrategy: options.branchFilterStrategy } : {}),
          sslVerification: options.sslVerification,
          ...(options.test !== undefined ? { test: options.test } : {}),
          waitSeconds: options.wait,
          json: options.json,
        });
      }),
    );
  gitlabAccess(
    gitlab
      .command('disconnect')
      .description('Remove the project webhook(s) that point at the bridge.')
      .requiredOption('-p, --project <path>', 'project path (group/app) or numeric id')
      .option('--json', 'the result as JSON'),
  ).action(
    run(async (command) => {
      const options = opts<{ project: string; json: boolean; gitlabUrl?: string; gitlabToken?: string; tokenStdin?: boolean; webhookUrl?: string }>(command);
      const api = await gitlabApi(context, options);
      const webhookUrl = await resources(command).webhookUrl(options.webhookUrl);
      return disconnectCommand(context, api, { project: options.project, webhookUrl, json: options.json });
    }),
  );
  gitlabAccess(
    gitlab
      .command('status')
      .description(
        "List connected projects with GitLab's alert status, so an auto-disabled hook is noticed (exit 1 if one is disabled, or a --project is not connected or cannot be read).",
      )
      .option('-p, --project <path>', 'only these projects (repeat or comma-separate); default: every project you maintain', collect)
      .option('--json', 'JSON for scripts'),
  ).action(
    run(async (command) => {
      const options = opts<{ project?: string[]; json: boolean; gitlabUrl?: string; gitlabToken?: string; tokenStdin?: boolean; webhookUrl?: string }>(command);
      const api = await gitlabApi(context, options);
      let webhookUrl: string | undefined;
      try {
        webhookUrl = await resources(command).webhookUrl(options.webhookUrl);
      } catch (error) {
        // Without the stack, recognise the bridge's hooks by name and path instead.
        context.stderr.write(
          `note: matching hooks named gitlab-bridge or ending in ${WEBHOOK_PATH} (${error instanceof CliError ? error.line() : String(error)})\n`,
        );
      }
      return statusCommand(context, api, { projects: options.project ?? [], webhookUrl, json: options.json });
    }),
  );

  // send-sample
  program
    .command('send-sample')
    .description("Post a realistic sample GitLab webhook (GitLab's headers, a fresh Idempotency-Key) to the bridge.")
    .addArgument(new Argument('<kind>', 'which sample').choices(SAMPLE_KINDS))
    .option('--url <url>', `webhook URL (env ${CLI_ENV.webhookUrl}; default the local bridge, ${LOCAL_WEBHOOK_URL})`)
    .option('--token <token>', `X-Gitlab-Token to send (env ${CLI_ENV.webhookToken}; for a deployed bridge, default the first token of its GitLab secret)`)
    .option('--signing-key <whsec>', `also sign it like GitLab 18.x (env ${CLI_ENV.signingKey})`)
    .option('-p, --project <path>', 'pretend it comes from this project (default flightjs/flight-management)')
    .option('--keep-ids', 'send the stored pipeline id / commit SHAs instead of fresh ones (a resend then changes nothing)')
    .option('--dry-run', 'print the request (token redacted) instead of sending it')
    .option('--json', 'the result as JSON')
    .addHelpText('after', `\nSamples:\n${SAMPLE_KINDS.map((kind) => `  ${kind.padEnd(18)} ${SAMPLES[kind].about}`).join('\n')}`)
    .action(
      run(async (command) => {
        const [kind] = command.args as [string];
        const options = opts<{ url?: string; token?: string; signingKey?: string; project?: string; keepIds: boolean; dryRun: boolean; json: boolean }>(
          command,
        );
        const url = options.url || context.env[CLI_ENV.webhookUrl] || LOCAL_WEBHOOK_URL;
        // The local bridge's token is a throwaway printed at start (the README's quickstart passes it as a flag).
        if (!isLoopbackUrl(url)) {
          if (options.token) warnTokenFlag(context, '--token', `${CLI_ENV.webhookToken} or the stack's GitLab secret`);
          if (options.signingKey) warnTokenFlag(context, '--signing-key', CLI_ENV.signingKey);
        }
        let token = options.token || splitCommaList(context.env[CLI_ENV.webhookToken])[0];
        let signingKey = options.signingKey || splitCommaList(context.env[CLI_ENV.signingKey])[0];
        if (!token && !options.dryRun) {
          if (isLoopbackUrl(url)) {
            throw new CliError('no webhook token', EXIT.auth, `pass the token the local bridge printed at start with --token, or set ${CLI_ENV.webhookToken}`);
          }
          const credentials = await resources(command).webhookCredentials({}, '--token');
          token = credentials.token;
          signingKey ??= credentials.signingKey;
        }
        return sendSampleCommand(context, {
          kind,
          url,
          ...(token ? { token } : {}),
          ...(signingKey ? { signingKey } : {}),
          ...(options.project ? { project: options.project } : {}),
          keepIds: options.keepIds,
          dryRun: options.dryRun,
          json: options.json,
        });
      }),
    );

  return program;
}

/**
 * Commander's usage errors ("error: unknown command 'delivery'\n(Did you mean deliveries?)") in
 * the CLI's one-line form: `gitlab-bridge: <what happened>; add --help for usage`.
 */
function usageErrorLine(text: string): string {
  const what = text
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\.$/, '');
  return `gitlab-bridge: ${what}; add --help for usage\n`;
}

/**
 * Runs the CLI in-process and returns its exit code. Errors become one line on stderr:
 * `gitlab-bridge: <what happened>; <the fix>`.
 */
export async function runCli(argv: readonly string[], processContext: CliContext): Promise<ExitCode> {
  // Everything printed passes through terminalSafe: delivery records, payloads and GitLab's
  // answers are attacker-controlled text, and a terminal obeys the escape sequences in them.
  const context: CliContext = { ...processContext, stdout: terminalSafeOutput(processContext.stdout), stderr: terminalSafeOutput(processContext.stderr) };
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram(context, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    exitCode = reportError(context, error);
  } finally {
    context.aws.destroy();
  }
  return exitCode;
}

function reportError(context: CliContext, error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has printed the message or the help already.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  const cliError = error instanceof CliError ? error : awsErrorToCliError(error, { resource: 'the request' });
  context.stderr.write(`gitlab-bridge: ${cliError.line()}\n`);
  if (context.env[CLI_ENV.debug] && error instanceof Error && error.stack) context.stderr.write(`${error.stack}\n`);
  return cliError.exitCode;
}
