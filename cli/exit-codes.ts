import { BridgeError } from '../lib/errors.js';

/**
 * Exit codes of `gitlab-bridge`, documented in docs/cli.md. Scripts branch on them, so they
 * only ever grow.
 */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** The command ran and something failed (a replay could not be queued, GitLab refused a hook, a sample got a non-2xx). */
  failure: 1,
  /** Bad flags or arguments, or a setting the command needs is missing (table name, webhook URL...). */
  usage: 2,
  /** What was named does not exist: a delivery, a stack, a table or queue, a GitLab project. */
  notFound: 3,
  /** Credentials are missing or refused: AWS credentials, GITLAB_TOKEN, a webhook token. */
  auth: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the CLI reports as one line: what happened, then what to do about it. Commands
 * throw it; the commander layer prints `gitlab-bridge: <message>` and exits with `exitCode`.
 */
export class CliError extends BridgeError {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The fix, appended after the message: "set GITLAB_TOKEN or pass --gitlab-token". */
    readonly fix?: string,
  ) {
    super(message);
  }

  /** The single line printed to stderr. */
  line(): string {
    return this.fix ? `${this.message}; ${this.fix}` : this.message;
  }
}
