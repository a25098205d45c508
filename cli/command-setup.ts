import type { Command } from 'commander';
import type { CliContext } from './context.js';
import type { ExitCode } from './exit-codes.js';
import { addOptions, readOptions, type OptionSpecs, type OptionValues } from './options.js';
import type { BridgeResources } from './resources.js';

/**
 * What program.ts hands each command group's `register` (cli/commands/*.ts): the context the
 * commands run against, the bridge's resources from the global flags, and `action`, which
 * declares a command's options and runs its work with their typed values.
 */
export interface CommandSetup {
  context: CliContext;
  /** The table, queues and webhook settings the global flags (--stack, --table...) point at. */
  resources(command: Command): BridgeResources;
  /**
   * Adds `specs` to `command` and makes `work` its action: `work` gets the typed option
   * values and the command (for its arguments), and its result is the CLI's exit code.
   */
  action<S extends OptionSpecs>(command: Command, specs: S, work: (options: OptionValues<S>, command: Command) => Promise<ExitCode>): Command;
}

/** The setup of one run: exit codes go to `setExit`. */
export function commandSetup(context: CliContext, resources: (command: Command) => BridgeResources, setExit: (code: ExitCode) => void): CommandSetup {
  return {
    context,
    resources,
    action: (command, specs, work) =>
      addOptions(command, specs).action(async () => {
        setExit(await work(readOptions(command.opts(), specs), command));
      }),
  };
}
