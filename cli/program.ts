import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { awsErrorToCliError } from './aws-errors.js';
import { commandSetup } from './command-setup.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerDlq } from './commands/dlq.js';
import { registerGitlab } from './commands/gitlab.js';
import { registerSendSample } from './commands/send-sample.js';
import type { CliContext } from './context.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { terminalSafeOutput } from './format/terminal-safe.js';
import { addOptions, readOptions, textOption } from './options.js';
import { BridgeResources, CLI_ENV } from './resources.js';
import { DEFAULT_STACK_NAME } from '../lib/stack-outputs.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The global options: where the bridge's table and queues are (see RESOURCES_HELP). */
const RESOURCE_OPTIONS = {
  stack: textOption('--stack <name>', `CloudFormation stack to read the table, queues and webhook URL from (env ${CLI_ENV.stackName})`),
  table: textOption('--table <name>', `DynamoDB table of the delivery log (env ${CLI_ENV.tableName})`),
  queueUrl: textOption('--queue-url <url>', `SQS queue the worker reads (env ${CLI_ENV.queueUrl})`),
  dlqUrl: textOption('--dlq-url <url>', `SQS dead-letter queue (env ${CLI_ENV.dlqUrl})`),
};

/** Where the AWS-side settings come from, shown under every command's --help. */
const RESOURCES_HELP = `
The bridge's table and queues come from --table/--queue-url/--dlq-url, then ${CLI_ENV.tableName}/${CLI_ENV.queueUrl}/${CLI_ENV.dlqUrl},
then the local bridge's names when AWS_ENDPOINT_URL_DYNAMODB/AWS_ENDPOINT_URL_SQS point at 127.0.0.1 (what \`npm start\` prints),
then the outputs of the CloudFormation stack (--stack, default ${DEFAULT_STACK_NAME}) read with your usual AWS credentials.`;

/**
 * The program: its global options, help and error output. Each command group registers its
 * commands and their options from its own file in ./commands.
 */
export function buildProgram(context: CliContext, setExit: (code: ExitCode) => void): Command {
  const program = new Command('gitlab-bridge');
  program
    .description('Operate gitlab-bridge: the delivery log, replays, the dead-letter queue, GitLab project webhooks, and sample events.')
    .version(packageVersion(), '-V, --version');
  addOptions(program, RESOURCE_OPTIONS)
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
Docs: docs/cli.md`,
    );

  const resources = (command: Command) => new BridgeResources(context, readOptions(command.optsWithGlobals(), RESOURCE_OPTIONS));
  const setup = commandSetup(context, resources, setExit);
  registerDeliveries(program, setup);
  registerDlq(program, setup);
  registerGitlab(program, setup);
  registerSendSample(program, setup);
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
