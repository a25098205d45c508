import type { Output } from '../context.js';
import { terminalSafe } from '../../lib/terminal-safe.js';

/**
 * An Output whose every write goes through terminalSafe. The CLI wraps stdout and stderr in it
 * once (runCli), so no command can print a payload's escape sequences by forgetting to; `raw`
 * keeps the stream itself for the CLI's own control sequences (the progress bar's redraw).
 */
export function terminalSafeOutput(output: Output): Output {
  return {
    write: (text) => output.write(terminalSafe(text)),
    ...(output.isTTY !== undefined ? { isTTY: output.isTTY } : {}),
    ...(output.columns !== undefined ? { columns: output.columns } : {}),
    raw: output.raw ?? output,
  };
}
