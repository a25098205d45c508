import { ConfigError } from '../errors.js';

/** An effect that cannot be sent for want of a credential, described for both outcomes. */
export interface UnsentNotice {
  /** What local mode prints instead of sending. */
  printout: string;
  /** The reason recorded on the delivery when it was printed. */
  dryRun: string;
  /** The ConfigError message when it cannot be printed (deployed), naming what to set. */
  error: string;
}

/**
 * Where an effect goes when its credential is missing. Local mode (the bridge passes `print`)
 * prints it and records a dry run, whose effect key is released, so it happens for real once
 * the credential is set; the deployed worker fails it with a ConfigError (recorded, not
 * retried). Outlets (Slack, Teams, Jira) hand it their notice and return what it returns, so
 * actions get the same result either way and never ask which mode they run in.
 */
export type UnsentOutlet = (notice: UnsentNotice) => { dryRun: string };

/** The printing outlet with `print`, the refusing one without. */
export function unsentOutlet(print: ((text: string) => void) | undefined): UnsentOutlet {
  if (!print) {
    return (notice) => {
      throw new ConfigError(notice.error);
    };
  }
  return (notice) => {
    print(notice.printout);
    return { dryRun: notice.dryRun };
  };
}
