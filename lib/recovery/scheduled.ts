import { splitCommaList } from '../config/comma-list.js';
import { listMaintainedProjects } from '../gitlab/hook-events.js';
import type { BridgeLogger } from '../logger.js';
import { recoverFailedDeliveries, type RecoveryDeps, type RecoveryMode, type RecoveryReport } from './recover.js';

/** The counters a scheduled scan emits (EMF metrics in AWS). */
export interface RecoveryMetrics {
  count(name: 'recovered' | 'recoveryFailed' | 'hookProblems' | 'hookFailureShare', value?: number): void;
}

export interface ScheduledRecoveryOptions {
  /** Project paths or ids (RECOVERY_PROJECTS / `recovery.projects`); empty: every project the token maintains. */
  projects: readonly string[];
  mode: RecoveryMode;
  /** Resend mode stops here and leaves the rest to the next run. */
  deadline?: Date;
  /** Re-enable hooks GitLab disabled (`recovery.reenable`). */
  reenable?: boolean;
}

/** `RECOVERY_MODE`: `ingest` (default) or `resend`; anything else is refused at start. */
export function parseRecoveryMode(value: string | undefined): RecoveryMode {
  if (value === undefined || value === '' || value === 'ingest') return 'ingest';
  if (value === 'resend') return 'resend';
  throw new Error(`RECOVERY_MODE must be "ingest" or "resend", got "${value.slice(0, 40)}"`);
}

/** `RECOVERY_PROJECTS`: comma-separated project paths or ids. */
export function parseRecoveryProjects(value: string | undefined): string[] {
  return value ? splitCommaList(value) : [];
}

/**
 * One scheduled scan (the recovery Lambda, the local bridge's timer): the configured projects,
 * or every project the token maintains (those without a bridge hook are left out), then the
 * counts as metrics and one log line; a hook GitLab disabled, a missing hook and failures are
 * logged as warnings and counted, for the alarm.
 */
export async function runScheduledRecovery(
  options: ScheduledRecoveryOptions,
  deps: RecoveryDeps & { metrics?: RecoveryMetrics; log?: BridgeLogger },
): Promise<RecoveryReport> {
  const explicit = options.projects.length > 0;
  const projects = explicit ? options.projects : (await listMaintainedProjects(deps.gitlab)).map((project) => project.path_with_namespace);
  const report = await recoverFailedDeliveries(
    {
      projects,
      mode: options.mode,
      health: true,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.reenable ? { reenable: true } : {}),
    },
    deps,
  );
  // Without a project list, a maintained project without the bridge's hook is simply not connected.
  if (!explicit) report.hooks = report.hooks.filter((hook) => hook.state !== 'not_connected');
  const problems = report.hooks.filter((hook) => hook.state !== 'ok' || hook.error !== undefined);
  deps.metrics?.count('recovered', report.recovered + report.resent);
  deps.metrics?.count('recoveryFailed', report.failed);
  deps.metrics?.count('hookProblems', problems.length);
  const { scanned, alreadyRecorded, recovered, resent, failed, pending } = report;
  deps.log?.info('recovery scan', { projects: projects.length, hooks: report.hooks.length, scanned, alreadyRecorded, recovered, resent, failed, pending });
  // Health of the bridge as GitLab sees it: per hook, the share of its last hour's deliveries
  // that failed (a log line per project for the dashboard's table, the worst share as a metric).
  let worst = 0;
  for (const hook of report.hooks) {
    if (!hook.lastHour || hook.lastHour.events === 0) continue;
    const sharePercent = Math.round((100 * hook.lastHour.failed) / hook.lastHour.events);
    worst = Math.max(worst, sharePercent);
    deps.log?.info('hook health', { project: hook.project, hookId: hook.hookId, events: hook.lastHour.events, failed: hook.lastHour.failed, sharePercent });
  }
  deps.metrics?.count('hookFailureShare', worst);
  for (const hook of problems) {
    deps.log?.warn('bridge hook needs attention', {
      project: hook.project,
      hookId: hook.hookId,
      state: hook.state,
      ...(hook.error ? { error: hook.error } : {}),
    });
  }
  for (const event of report.events.filter((candidate) => candidate.action === 'failed')) {
    deps.log?.warn('failed event not recovered', { project: event.project, hookId: event.hookId, eventId: event.eventId, reason: event.reason });
  }
  return report;
}
