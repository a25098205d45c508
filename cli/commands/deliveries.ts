import type { DeliverySummary } from '../../lib/deliveries/record.js';
import type { DeliveryStore } from '../../lib/deliveries/store.js';
import type { DeliveryQueue } from '../../lib/queue/queue.js';
import type { Command } from 'commander';
import { openDeliveryQueue, openDeliveryStore } from '../bridge-clients.js';
import type { CommandSetup } from '../command-setup.js';
import type { CliContext } from '../context.js';
import { matchesStatusFilter, needsOutcomes, parseBefore, parseSince, parseStatusFilter, STATUS_FILTER_VALUES } from '../delivery-filters.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { deliveryJson, formatDeliveryDetail, formatDeliveryTable } from '../format/deliveries.js';
import { toJson } from '../format/table.js';
import { flagOption, numberOption, positiveInt, textOption } from '../options.js';
import { createProgress } from '../progress.js';
import { DEFAULTS } from '../../lib/defaults.js';

/** DynamoDB Query page size while scanning for a class filter (`server_failure`...). */
const SCAN_PAGE_SIZE = 50;

export interface DeliverySelection {
  project?: string;
  status?: string;
  since?: string;
  /** Cursor from a previous page (`nextBefore`). */
  before?: string;
  limit: number;
}

export interface SelectedDeliveries {
  items: DeliverySummary[];
  /** Pass as `--before` for the next page; absent when nothing older matches. */
  nextBefore?: string;
}

/**
 * Newest-first deliveries matching the selection, paging through the store. Status classes
 * (`client_failure`, `server_failure`) are decided from each candidate's outcomes, so those
 * candidates are read in full; plain statuses come straight from the index.
 */
export async function selectDeliveries(store: DeliveryStore, selection: DeliverySelection, now: Date): Promise<SelectedDeliveries> {
  const filter = parseStatusFilter(selection.status);
  const since = selection.since ? parseSince(selection.since, now) : undefined;
  const items: DeliverySummary[] = [];
  let before = selection.before !== undefined ? parseBefore(selection.before) : undefined;
  const pageSize = filter.classes.length > 0 ? Math.max(selection.limit, SCAN_PAGE_SIZE) : selection.limit;
  for (;;) {
    const page = await store.list({
      limit: pageSize,
      ...(selection.project ? { projectPath: selection.project } : {}),
      ...(filter.query.length > 0 ? { statuses: filter.query } : {}),
      ...(since ? { since } : {}),
      ...(before ? { before } : {}),
    });
    for (const [index, item] of page.items.entries()) {
      let outcomes;
      if (needsOutcomes(filter, item.status)) outcomes = (await store.get(item.id))?.outcomes ?? [];
      if (!matchesStatusFilter(filter, item.status, outcomes)) continue;
      items.push(item);
      if (items.length === selection.limit) {
        const more = index < page.items.length - 1 || page.nextBefore !== undefined;
        return more ? { items, nextBefore: item.receivedAt } : { items };
      }
    }
    if (!page.nextBefore) return { items };
    before = page.nextBefore;
  }
}

export interface ListOptions extends DeliverySelection {
  json: boolean;
}

/** `deliveries list` */
export async function listDeliveriesCommand(context: CliContext, store: DeliveryStore, options: ListOptions): Promise<ExitCode> {
  const selected = await selectDeliveries(store, options, context.now());
  if (options.json) {
    context.stdout.write(toJson({ items: selected.items, ...(selected.nextBefore ? { nextBefore: selected.nextBefore } : {}) }));
    return EXIT.ok;
  }
  context.stdout.write(formatDeliveryTable(selected.items));
  if (selected.nextBefore) {
    context.stdout.write(`More deliveries match: add --before ${selected.nextBefore} for the next page.\n`);
  }
  return EXIT.ok;
}

/** `deliveries show ID` */
export async function showDeliveryCommand(context: CliContext, store: DeliveryStore, id: string, options: { json: boolean }): Promise<ExitCode> {
  const record = await store.get(id);
  if (!record) {
    throw new CliError(
      `delivery ${id} not found`,
      EXIT.notFound,
      `list recent ones with \`gitlab-bridge deliveries list\` (records expire after the retention period, ${DEFAULTS.retentionDays} days by default)`,
    );
  }
  context.stdout.write(options.json ? toJson(deliveryJson(record)) : formatDeliveryDetail(record));
  return EXIT.ok;
}

export interface ReplayOptions {
  ids: string[];
  project?: string;
  status?: string;
  since?: string;
  /** Cursor from a previous bulk replay that stopped at --limit (`nextBefore`). */
  before?: string;
  limit: number;
  force: boolean;
  dryRun: boolean;
  json: boolean;
}

export interface ReplayReport {
  queued: string[];
  skipped: { id: string; reason: string }[];
  notFound: string[];
  failed: { id: string; error: string }[];
  /** Bulk selection stopped at --limit and more deliveries match. */
  more: boolean;
  /** Pass as `--before` to continue with the next (older) deliveries of the selection. */
  nextBefore?: string;
  dryRun: boolean;
  force: boolean;
}

/**
 * Runs deliveries again through the queue: each is marked `queued`, then a
 * `{ replay: true, force? }` message goes to the worker. The worker skips actions whose effect
 * keys say they already happened unless `force` is set, so a replay repeats nothing that
 * succeeded. Marking before sending keeps the log honest: the worker may pick the message up
 * at once, and its status must not be overwritten afterwards.
 */
export async function replayDeliveries(
  context: CliContext,
  store: DeliveryStore,
  queue: DeliveryQueue | undefined,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const bulk = options.status !== undefined || options.since !== undefined || options.project !== undefined || options.before !== undefined;
  if (options.ids.length > 0 && bulk) {
    throw new CliError('give delivery IDs or a selection (--status/--since/--project/--before), not both', EXIT.usage, 'run one replay per form');
  }
  if (options.ids.length === 0 && !bulk) {
    throw new CliError('nothing to replay', EXIT.usage, 'give delivery IDs, or select with --status failed --since 1d (see --help)');
  }
  const report: ReplayReport = { queued: [], skipped: [], notFound: [], failed: [], more: false, dryRun: options.dryRun, force: options.force };
  let ids = options.ids;
  if (bulk) {
    const selected = await selectDeliveries(store, { ...options }, context.now());
    ids = selected.items.map((item) => item.id);
    report.more = selected.nextBefore !== undefined;
    if (selected.nextBefore) report.nextBefore = selected.nextBefore;
  }
  const progress = ids.length > 1 ? createProgress(context.stderr, ids.length, options.dryRun ? 'checking' : 'replaying') : undefined;
  for (const id of [...new Set(ids)]) {
    const line = await replayOne(store, queue, id, options, report);
    progress?.tick(line);
  }
  progress?.done();
  return report;
}

async function replayOne(store: DeliveryStore, queue: DeliveryQueue | undefined, id: string, options: ReplayOptions, report: ReplayReport): Promise<string> {
  try {
    const record = await store.get(id);
    if (!record) {
      report.notFound.push(id);
      return `${id} not found`;
    }
    if (record.status === 'ignored') {
      const reason = `ignored event (${record.objectKind ?? record.event}): the bridge has nothing to run for it`;
      report.skipped.push({ id, reason });
      return `${id} skipped: ${reason}`;
    }
    if (options.dryRun || !queue) {
      report.queued.push(id);
      return `${id} would be queued (${record.status})`;
    }
    await store.markQueuedForReplay(id);
    await queue.send({ v: 1, deliveryId: id, replay: true, ...(options.force ? { force: true } : {}) });
    report.queued.push(id);
    return `${id} queued`;
  } catch (error) {
    const text = error instanceof CliError ? error.line() : error instanceof Error ? error.message : String(error);
    report.failed.push({ id, error: text });
    return `${id} failed: ${text}`;
  }
}

/** The summary printed after a replay. */
export function formatReplaySummary(report: ReplayReport): string {
  const verb = report.dryRun ? 'Would queue' : 'Queued';
  const lines = [
    `${verb} ${report.queued.length} deliver${report.queued.length === 1 ? 'y' : 'ies'} for replay${report.force ? ' with --force (actions that already succeeded run again)' : ' (actions that already succeeded are skipped)'}; ` +
      `${report.skipped.length} skipped, ${report.notFound.length} not found, ${report.failed.length} failed.`,
  ];
  for (const skipped of report.skipped) lines.push(`  skipped ${skipped.id}: ${skipped.reason}`);
  for (const id of report.notFound) lines.push(`  not found ${id}`);
  for (const failed of report.failed) lines.push(`  failed ${failed.id}: ${failed.error}`);
  // Running the same command again would select the same newest deliveries whenever the
  // selection does not exclude `queued` (or a replayed delivery fails again): page on instead.
  if (report.nextBefore) lines.push(`More deliveries match the selection than --limit allows; continue with --before ${report.nextBefore}`);
  if (!report.dryRun && report.queued.length > 0) lines.push('Follow them with `gitlab-bridge deliveries list --status queued,processing`.');
  return `${lines.join('\n')}\n`;
}

/** `deliveries replay` */
export async function replayCommand(context: CliContext, store: DeliveryStore, queue: DeliveryQueue | undefined, options: ReplayOptions): Promise<ExitCode> {
  const report = await replayDeliveries(context, store, queue, options);
  context.stdout.write(options.json ? toJson(report) : formatReplaySummary(report));
  if (report.failed.length > 0) return EXIT.failure;
  if (report.notFound.length > 0) return EXIT.notFound;
  return EXIT.ok;
}

const STATUS_HELP = `one or more of ${STATUS_FILTER_VALUES.join(', ')} (comma-separated); successful = done+ignored, client_failure = refused for good (4xx, config), server_failure = downstream down (5xx, timeouts) or retrying`;

const LIST_OPTIONS = {
  project: textOption('-p, --project <path>', 'only this project (full path, e.g. group/app)'),
  status: textOption('-s, --status <status>', STATUS_HELP),
  since: textOption('--since <when>', 'only deliveries received since: 30m, 12h, 7d, 2w, or an ISO time'),
  before: textOption('--before <time>', 'page cursor: only deliveries received before this ISO time (printed as nextBefore)'),
  limit: numberOption('-n, --limit <n>', 'how many to show', positiveInt('--limit'), 20),
  json: flagOption('--json', 'JSON for scripts: { items, nextBefore? }'),
};

const SHOW_OPTIONS = {
  json: flagOption('--json', 'the record as JSON, payload parsed'),
};

const REPLAY_OPTIONS = {
  status: textOption('-s, --status <status>', `select by status: ${STATUS_HELP}`),
  since: textOption('--since <when>', 'select deliveries received since: 30m, 12h, 1d, or an ISO time'),
  project: textOption('-p, --project <path>', 'select deliveries of this project'),
  before: textOption('--before <time>', 'page cursor: only deliveries received before this ISO time (printed when --limit stops a bulk replay)'),
  limit: numberOption('-n, --limit <n>', 'at most this many in one bulk replay', positiveInt('--limit'), 500),
  force: flagOption('--force', 're-run actions that already succeeded (posts again)'),
  dryRun: flagOption('--dry-run', 'show what would be replayed, change nothing'),
  json: flagOption('--json', 'the summary as JSON'),
};

/** `gitlab-bridge deliveries list|show|replay` */
export function registerDeliveries(program: Command, { context, resources, action }: CommandSetup): void {
  const deliveries = program.command('deliveries').description('The delivery log: what the bridge received and what it did with each event.');
  action(deliveries.command('list').description('List deliveries, newest first.'), LIST_OPTIONS, async (options, command) =>
    listDeliveriesCommand(context, await openDeliveryStore(context, resources(command)), options),
  ).addHelpText(
    'after',
    "\nExamples:\n  gitlab-bridge deliveries list --status server_failure --since 1d\n  gitlab-bridge deliveries list --project group/app --json | jq -r '.items[].id'",
  );
  action(
    deliveries
      .command('show')
      .description("Show one delivery: its record, each action's outcome, the request headers (token redacted) and the payload.")
      .argument('<id>', 'delivery id (the Idempotency-Key GitLab sent, shown by `deliveries list`)'),
    SHOW_OPTIONS,
    async (options, command) => {
      const [id] = command.args as [string];
      return showDeliveryCommand(context, await openDeliveryStore(context, resources(command)), id, options);
    },
  );
  action(
    deliveries
      .command('replay')
      .description('Run deliveries again through the queue. Actions that already succeeded are skipped (their effect keys hold) unless --force.')
      .argument('[ids...]', 'delivery ids; or select with --status/--since/--project'),
    REPLAY_OPTIONS,
    async (options, command) => {
      const bridge = resources(command);
      const store = await openDeliveryStore(context, bridge);
      const queue = options.dryRun ? undefined : await openDeliveryQueue(context, bridge);
      return replayCommand(context, store, queue, { ...options, ids: command.args });
    },
  ).addHelpText(
    'after',
    '\nExamples:\n  gitlab-bridge deliveries replay 7f0c6a52-3c2e-4f0e-9a57-2b1f2b7f1c11\n  gitlab-bridge deliveries replay --status server_failure --since 1d',
  );
}
