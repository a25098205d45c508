import type { CliContext } from './context.js';

/** A secret given as a flag still works, with a warning on stderr naming the safer ways. */
export function warnTokenFlag(context: CliContext, flag: string, instead: string): void {
  context.stderr.write(
    `warning: ${flag} puts the secret on the command line, where other users see it in \`ps\` and it stays in shell history; use ${instead}\n`,
  );
}
