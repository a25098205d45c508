import type { DeliveryStore } from '../../lib/deliveries/store.js';
import type { GitLabRequestOptions } from '../../lib/gitlab/api-client.js';
import type { DeliveryQueue } from '../../lib/queue/queue.js';
import { addRecoveryReport, emptyRecoveryReport, recoverFailedDeliveries, type RecoveryMode } from '../../lib/recovery/recover.js';
import type { StateStore } from '../../lib/state/store.js';
import type { CliContext } from '../context.js';
import { parseSince } from '../delivery-filters.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderTable, shortTime, toJson } from '../format/table.js';
import { createProgress } from '../progress.js';

export interface RecoverOptions {
  /** Project paths or ids; the caller resolves "every project you maintain". */
  projects: string[];
  since?: string;
  dryRun: boolean;
  resend: boolean;
  json: boolean;
}

export interface RecoverDeps {
  gitlab: GitLabRequestOptions;
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
  state: StateStore;
  webhookUrl?: string;
}

/**
 * `gitlab recover`: for each project's bridge hook, recovers the failed events of GitLab's hook
 * log that the bridge has no record of (lib/recovery/recover.ts), with a progress bar per
 * project and a summary table; `--json` prints the counts and every event. Exits 1 when an
 * event could not be recovered, a hook is disabled, or a project is not connected.
 */
export async function recoverCommand(context: CliContext, deps: RecoverDeps, options: RecoverOptions): Promise<ExitCode> {
  const now = context.now();
  const since = options.since ? new Date(parseSince(options.since, now)) : undefined;
  const mode: RecoveryMode = options.resend ? 'resend' : 'ingest';
  const total = emptyRecoveryReport(mode, options.dryRun);
  const progress = createProgress(context.stderr, options.projects.length, options.dryRun ? 'recover (dry run)' : 'recover');
  for (const project of options.projects) {
    const report = await recoverFailedDeliveries(
      { projects: [project], ...(since ? { since } : {}), dryRun: options.dryRun, mode },
      {
        ...deps,
        now: () => context.now(),
        sleep: (ms) => context.sleep(ms),
        // Resends wait for GitLab's minute: say so, or a paced run looks stuck.
        onEvent: (event) => {
          if (event.action === 'resent' && !event.dryRun) context.stderr.write(`resent GitLab hook event ${event.eventId} of ${event.project}\n`);
        },
      },
    );
    addRecoveryReport(total, report);
    progress.tick(
      `${project}: ${report.scanned} failed events, ${report.recovered + report.resent} ${options.dryRun ? 'to recover' : mode === 'resend' ? 'resent' : 'recovered'}`,
    );
  }
  progress.done();

  const troubled = total.hooks.filter((hook) => hook.state !== 'ok');
  if (options.json) {
    const { scanned, alreadyRecorded, recovered, resent, failed, pending, dryRun, hooks, events } = total;
    context.stdout.write(toJson({ scanned, alreadyRecorded, recovered, resent, failed, pending, dryRun, mode, hooks, events }));
  } else {
    context.stdout.write(
      renderTable(
        [
          { header: 'SCANNED', align: 'right' },
          { header: 'ALREADY RECORDED', align: 'right' },
          { header: 'RECOVERED', align: 'right' },
          { header: 'RESENT', align: 'right' },
          { header: 'FAILED', align: 'right' },
        ],
        [[total.scanned, total.alreadyRecorded, total.recovered, total.resent, total.failed].map(String)],
      ),
    );
    if (options.dryRun) context.stdout.write('Dry run: nothing was recorded or resent; RECOVERED and RESENT count what would be.\n');
    if (total.pending > 0) context.stdout.write(`${total.pending} event(s) wait for GitLab's resend limit (5 a minute per hook): run again to continue.\n`);
    for (const event of total.events.filter((candidate) => candidate.action === 'failed')) {
      context.stdout.write(
        `failed: ${event.project} hook #${event.hookId} event ${event.eventId} (${shortTime(event.createdAt)} UTC): ${event.reason ?? ''}\n`,
      );
    }
    for (const hook of troubled) {
      context.stdout.write(
        hook.state === 'not_connected'
          ? `${hook.project} has no webhook pointing at the bridge: connect it with \`gitlab-bridge gitlab connect --project ${hook.project}\`.\n`
          : hook.state === 'error'
            ? `${hook.project}: ${hook.error ?? 'could not be read'}\n`
            : `${hook.project} hook #${hook.hookId} is ${hook.state.replace('_', ' ')} in GitLab: while disabled GitLab logs nothing, so events of that time cannot be recovered. Fix the cause, then \`gitlab-bridge gitlab connect --project ${hook.project} --test\`.\n`,
      );
    }
  }
  return total.failed > 0 || troubled.length > 0 ? EXIT.failure : EXIT.ok;
}
