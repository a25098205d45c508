import type { GitLabRequestOptions } from '../gitlab/api-client.js';
import { summarizeEvent } from '../gitlab/events.js';
import {
  getProject,
  HOOK_EVENT_FAILURE_STATUSES,
  hookEventPages,
  listProjectHooks,
  resendHookEvent,
  testHookPush,
  type HookEvent,
  type ProjectHook,
} from '../gitlab/hook-events.js';
import { normalizeProjectPath } from '../gitlab/project-identity.js';
import { deliveryId, ingestDelivery, isValidDeliveryId, type IngestDeps } from '../receiver/ingest.js';
import { WEBHOOK_PATH } from '../receiver/webhook-path.js';
import type { StateStore } from '../state/store.js';

/** GitLab keeps a hook's event log for 7 days (GitLab docs, "Webhook event log"). */
export const HOOK_LOG_DAYS = 7;
/**
 * GitLab limits resends to 5 a minute per hook and user (rate limit `web_hook_event_resend`)
 * and answers 429 beyond.
 */
export const RESENDS_PER_MINUTE = 5;
/**
 * GitLab writes an event's log entry when the request ended (up to its 10 s webhook timeout,
 * later under load), stamped with when it started: a scan re-reads a few minutes before its
 * cursor so an entry written late is not skipped. Re-reading is harmless (recorded ones are skipped).
 */
const CURSOR_OVERLAP_MS = 5 * 60_000;
/** The name `gitlab connect` gives the bridge's hooks. */
const BRIDGE_HOOK_NAME = 'gitlab-bridge';

export type RecoveryMode = 'ingest' | 'resend';

export interface RecoveryDeps extends IngestDeps {
  gitlab: GitLabRequestOptions;
  /** Holds each hook's scan cursor (`recovery:cursor:<project id>:<hook id>`). */
  state: StateStore;
  /** The bridge's webhook URL; without it, hooks named gitlab-bridge or ending in /webhooks/gitlab are the bridge's. */
  webhookUrl?: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Called once per event scanned (progress bars, logs). */
  onEvent?: (event: RecoveredEvent) => void;
}

export interface RecoveryOptions {
  /** Project paths or ids. */
  projects: readonly (string | number)[];
  /** Scan from here instead of the cursor (at most 7 days back). */
  since?: Date;
  dryRun?: boolean;
  mode?: RecoveryMode;
  /** Resend mode: stop resending (and keep the cursor) when the next resend would start after this. */
  deadline?: Date;
  /** Re-enable a hook GitLab disabled (its push test trigger), then scan it (`recovery.reenable`). */
  reenable?: boolean;
  /** Also count the hook's events of the last hour and how many failed (the dashboard's hook health). */
  health?: boolean;
}

export type RecoveryAction = 'already_recorded' | 'recovered' | 'resent' | 'failed' | 'pending';

export interface RecoveredEvent {
  project: string;
  hookId: number;
  /** GitLab's hook event id. */
  eventId: number;
  deliveryId: string | null;
  /** When GitLab tried to deliver it. */
  createdAt: string;
  /** GitLab's `response_status`: `500`, `internal error`... */
  responseStatus: string;
  action: RecoveryAction;
  /** Dry run: what would have been done. */
  dryRun?: boolean;
  reason?: string;
}

export type HookState = 'ok' | 'temporarily_disabled' | 'disabled' | 'not_connected' | 'error';

export interface HookScan {
  project: string;
  projectId: number | null;
  hookId: number | null;
  state: HookState;
  disabledUntil?: string | null;
  /** Start of the scanned window (ISO). */
  from?: string;
  /** Whether the cursor moved to the scan's start (everything up to it is safe). */
  cursorAdvanced?: boolean;
  /** `recovery.reenable`: GitLab re-enabled the hook after a successful test push, or why not. */
  reenabled?: boolean;
  reenableError?: string;
  /** With `health`: the hook's events in the last hour as GitLab logged them, and how many failed. */
  lastHour?: { events: number; failed: number };
  error?: string;
}

export interface RecoveryReport {
  scanned: number;
  alreadyRecorded: number;
  recovered: number;
  resent: number;
  failed: number;
  /** Resend mode: events left for the next run (the deadline came first). */
  pending: number;
  dryRun: boolean;
  mode: RecoveryMode;
  hooks: HookScan[];
  events: RecoveredEvent[];
}

/** The state key of a hook's scan cursor. */
export function recoveryCursorKey(projectId: number, hookId: number): string {
  return `recovery:cursor:${projectId}:${hookId}`;
}

interface Cursor {
  /** ISO time of the last complete scan's start: every failed event before it was handled. */
  until: string;
}

/** Whether a hook sends to this bridge. */
export function isBridgeHookUrl(hook: Pick<ProjectHook, 'url' | 'name'>, webhookUrl: string | undefined): boolean {
  const normal = (url: string) => url.trim().replace(/\/+$/, '').toLowerCase();
  if (webhookUrl) return normal(hook.url) === normal(webhookUrl);
  return hook.name === BRIDGE_HOOK_NAME || normal(hook.url).endsWith(WEBHOOK_PATH);
}

/** A report with nothing counted yet. */
export function emptyRecoveryReport(mode: RecoveryMode, dryRun: boolean): RecoveryReport {
  return { scanned: 0, alreadyRecorded: 0, recovered: 0, resent: 0, failed: 0, pending: 0, dryRun, mode, hooks: [], events: [] };
}

/** Adds `report`'s counts, hooks and events to `total` (one run per project, summed). */
export function addRecoveryReport(total: RecoveryReport, report: RecoveryReport): void {
  for (const key of ['scanned', 'alreadyRecorded', 'recovered', 'resent', 'failed', 'pending'] as const) total[key] += report[key];
  total.hooks.push(...report.hooks);
  total.events.push(...report.events);
}

/**
 * Recovers what GitLab failed to deliver: for each project's bridge hook, lists the failed
 * events (server and client failures, `internal error` included) since the hook's cursor (at
 * most 7 days back), every page; an event whose Idempotency-Key has a delivery record is safe;
 * any other is ingested from the log through the receiver's own path (`ingestDelivery`,
 * marked recovered) or, in resend mode, resent by GitLab at 5 a minute per hook. The cursor
 * moves only when every event of the window was handled, so a run that stopped resumes.
 */
export async function recoverFailedDeliveries(options: RecoveryOptions, deps: RecoveryDeps): Promise<RecoveryReport> {
  const now = deps.now ?? (() => new Date());
  const mode = options.mode ?? 'ingest';
  const report = emptyRecoveryReport(mode, options.dryRun === true);
  for (const target of options.projects) {
    let project: { id: number; path_with_namespace: string };
    let hooks: ProjectHook[];
    try {
      project = await getProject(deps.gitlab, target);
      hooks = (await listProjectHooks(deps.gitlab, project.id)).filter((hook) => isBridgeHookUrl(hook, deps.webhookUrl));
    } catch (error) {
      report.hooks.push({ project: String(target), projectId: null, hookId: null, state: 'error', error: (error as Error).message });
      continue;
    }
    if (hooks.length === 0) {
      report.hooks.push({ project: project.path_with_namespace, projectId: project.id, hookId: null, state: 'not_connected' });
      continue;
    }
    for (const hook of hooks) {
      report.hooks.push(await scanHook(project, hook, options, mode, deps, now, report));
    }
  }
  return report;
}

async function scanHook(
  project: { id: number; path_with_namespace: string },
  hook: ProjectHook,
  options: RecoveryOptions,
  mode: RecoveryMode,
  deps: RecoveryDeps,
  now: () => Date,
  report: RecoveryReport,
): Promise<HookScan> {
  const started = now();
  const oldest = started.getTime() - HOOK_LOG_DAYS * 86_400_000;
  const cursorKey = recoveryCursorKey(project.id, hook.id);
  const cursor = options.since ? undefined : await deps.state.get<Cursor>(cursorKey);
  const fromMs = Math.max(oldest, options.since?.getTime() ?? (cursor ? Date.parse(cursor.until) - CURSOR_OVERLAP_MS : oldest));
  const state: HookState = hook.alert_status === 'disabled' ? 'disabled' : hook.alert_status === 'temporarily_disabled' ? 'temporarily_disabled' : 'ok';
  const scan: HookScan = {
    project: project.path_with_namespace,
    projectId: project.id,
    hookId: hook.id,
    state,
    ...(state === 'temporarily_disabled' ? { disabledUntil: hook.disabled_until ?? null } : {}),
    from: new Date(fromMs).toISOString(),
  };
  if (options.reenable && state !== 'ok' && !options.dryRun) {
    try {
      await testHookPush(deps.gitlab, project.id, hook.id);
      scan.reenabled = true;
    } catch (error) {
      scan.reenabled = false;
      scan.reenableError = (error as Error).message;
    }
  }
  let complete = true;
  const seen = new Set<string>();
  const pacer = new ResendPacer(now, deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))));
  try {
    for (const status of HOOK_EVENT_FAILURE_STATUSES) {
      for await (const page of hookEventPages(deps.gitlab, project.id, hook.id, status)) {
        const inWindow = page.filter((event) => Date.parse(event.created_at) >= fromMs);
        for (const event of inWindow) {
          const detail = await handleEvent(event, project, hook, options, mode, deps, now, pacer, seen);
          if (detail.action === 'pending' || (detail.action === 'failed' && detail.reason?.startsWith('retry:'))) complete = false;
          if (detail.reason?.startsWith('retry:')) detail.reason = detail.reason.slice('retry:'.length).trim();
          count(report, detail);
          deps.onEvent?.(detail);
        }
        // GitLab lists newest first: a page that reaches past the window ends the scan.
        if (inWindow.length < page.length) break;
      }
    }
  } catch (error) {
    scan.error = (error as Error).message;
    complete = false;
  }
  if (options.health && scan.error === undefined) {
    try {
      scan.lastHour = await lastHourHealth(deps, project.id, hook.id, started.getTime() - 3_600_000);
    } catch (error) {
      scan.error = (error as Error).message;
    }
  }
  if (complete && !options.dryRun) {
    await deps.state.put<Cursor>(cursorKey, { until: started.toISOString() }, { ttlDays: HOOK_LOG_DAYS * 2 });
    scan.cursorAdvanced = true;
  } else {
    scan.cursorAdvanced = false;
  }
  return scan;
}

/** The hook's events since `sinceMs` (all statuses), and those GitLab counts as failed (not 2xx). */
async function lastHourHealth(deps: RecoveryDeps, projectId: number, hookId: number, sinceMs: number): Promise<{ events: number; failed: number }> {
  let events = 0;
  let failed = 0;
  for await (const page of hookEventPages(deps.gitlab, projectId, hookId, undefined)) {
    const recent = page.filter((event) => Date.parse(event.created_at) >= sinceMs);
    events += recent.length;
    failed += recent.filter((event) => !/^2\d\d$/.test(String(event.response_status ?? ''))).length;
    if (recent.length < page.length) break;
  }
  return { events, failed };
}

function count(report: RecoveryReport, detail: RecoveredEvent): void {
  report.scanned += 1;
  report.events.push(detail);
  if (detail.action === 'already_recorded') report.alreadyRecorded += 1;
  else if (detail.action === 'recovered') report.recovered += 1;
  else if (detail.action === 'resent') report.resent += 1;
  else if (detail.action === 'pending') report.pending += 1;
  else report.failed += 1;
}

async function handleEvent(
  event: HookEvent,
  project: { id: number; path_with_namespace: string },
  hook: ProjectHook,
  options: RecoveryOptions,
  mode: RecoveryMode,
  deps: RecoveryDeps,
  now: () => Date,
  pacer: ResendPacer,
  seen: Set<string>,
): Promise<RecoveredEvent> {
  const base = {
    project: project.path_with_namespace,
    hookId: hook.id,
    eventId: event.id,
    createdAt: event.created_at,
    responseStatus: String(event.response_status ?? 'unknown'),
  };
  const fail = (reason: string, id: string | null = null): RecoveredEvent => ({ ...base, deliveryId: id, action: 'failed', reason });
  const headers = lowerCased(event.request_headers ?? {});
  const payload = event.request_data;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail('the logged request is not a JSON object (a custom webhook template?)');
  }
  const text = JSON.stringify(payload);
  const body = Buffer.from(text, 'utf8');
  const id = deliveryId(headers, body, false);
  if (!isValidDeliveryId(id)) return fail('Idempotency-Key is not a valid id');
  // One delivery can be logged more than once (each manual resend that failed adds an entry).
  if (seen.has(id)) return { ...base, deliveryId: id, action: 'already_recorded', reason: 'logged again in this scan' };
  seen.add(id);
  let existing;
  try {
    existing = await deps.deliveries.get(id);
  } catch (error) {
    return fail(`retry: could not read the delivery log (${(error as Error).message})`, id);
  }
  if (existing) return { ...base, deliveryId: id, action: 'already_recorded' };

  // Isolation (hardening issue): only an event of the hook's own project is taken from its log.
  const summary = summarizeEvent(payload as Record<string, unknown>);
  const samePath = summary.projectPath === null || normalizeProjectPath(summary.projectPath) === normalizeProjectPath(project.path_with_namespace);
  if (summary.projectId !== project.id || !samePath) {
    return fail(`the event names another project (${summary.projectPath ?? summary.projectId ?? 'none'})`, id);
  }

  if (mode === 'resend') {
    if (options.dryRun) return { ...base, deliveryId: id, action: 'resent', dryRun: true };
    // Two tries: a 429 means resends of an earlier run (or another user's) still fill GitLab's minute.
    for (let attempt = 0; ; attempt++) {
      const waitMs = pacer.waitMs();
      if (options.deadline && now().getTime() + waitMs > options.deadline.getTime()) {
        return { ...base, deliveryId: id, action: 'pending', reason: 'resend limit (5 a minute per hook): left for the next run' };
      }
      if (waitMs > 0) await pacer.sleep(waitMs);
      try {
        await resendHookEvent(deps.gitlab, project.id, hook.id, event.id);
        pacer.sent();
        break;
      } catch (error) {
        if ((error as { status?: number }).status === 429 && attempt === 0) {
          pacer.full();
          continue;
        }
        pacer.sent();
        return fail(`retry: GitLab did not resend it (${(error as Error).message})`, id);
      }
    }
    return { ...base, deliveryId: id, action: 'resent' };
  }

  if (options.dryRun) return { ...base, deliveryId: id, action: 'recovered', dryRun: true };
  const result = await ingestDelivery(
    {
      headers,
      body,
      text,
      payload: payload as Record<string, unknown>,
      signed: false,
      authProject: { path: normalizeProjectPath(project.path_with_namespace), id: project.id },
      receivedAt: validDate(event.created_at) ?? now(),
      now: now(),
      recovered: { hookId: hook.id, hookEventId: event.id, at: now().toISOString() },
    },
    deps,
  );
  if (result.statusCode >= 500) return fail(`retry: ${String(result.body.error)}`, id);
  if (result.statusCode >= 400) return fail(String(result.body.error), id);
  if (result.body.duplicate === true) return { ...base, deliveryId: id, action: 'already_recorded' };
  return { ...base, deliveryId: id, action: 'recovered' };
}

/** Spaces resends so at most 5 start in any minute (GitLab's limit per hook and user). */
class ResendPacer {
  private readonly starts: number[] = [];
  constructor(
    private readonly now: () => Date,
    readonly sleep: (ms: number) => Promise<void>,
  ) {}

  waitMs(): number {
    const current = this.now().getTime();
    while (this.starts.length > 0 && current - this.starts[0]! >= 60_000) this.starts.shift();
    return this.starts.length < RESENDS_PER_MINUTE ? 0 : this.starts[0]! + 60_000 - current;
  }

  sent(): void {
    this.starts.push(this.now().getTime());
  }

  /** GitLab answered 429: count the minute as full from now. */
  full(): void {
    const current = this.now().getTime();
    this.starts.splice(0, this.starts.length, ...Array.from({ length: RESENDS_PER_MINUTE }, () => current));
  }
}

function lowerCased(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') out[name.toLowerCase()] = value;
  return out;
}

function validDate(value: string): Date | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
