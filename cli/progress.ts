import type { Output } from './context.js';

export interface Progress {
  /** One item finished; `line` says what happened to it ("queued 3f2a..."). */
  tick(line: string): void;
  /** Clears the bar (TTY) so the summary starts on a clean line. */
  done(): void;
}

const BAR_WIDTH = 28;

/** `[##########----------] 5/10` */
export function progressBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/**
 * Progress of a bulk operation on stderr (stdout stays clean for the summary or JSON): a bar
 * redrawn in place on a terminal, one plain line per item otherwise (CI logs, pipes), so a log
 * shows which item did what.
 */
export function createProgress(output: Output, total: number, label: string): Progress {
  let count = 0;
  if (output.isTTY) {
    // Only the CLI's own label and bar go to the raw stream; item lines are not shown here.
    const terminal = output.raw ?? output;
    const draw = () => terminal.write(`\r${label} ${progressBar(count, total)}`);
    draw();
    return {
      tick: () => {
        count++;
        draw();
      },
      done: () => terminal.write('\r\x1b[2K'),
    };
  }
  return {
    tick: (line) => {
      count++;
      output.write(`${label} ${count}/${total}: ${line}\n`);
    },
    done: () => {},
  };
}
