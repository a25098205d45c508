import { splitCommaList } from '../lib/config/comma-list.js';
import { DELIVERY_STATUSES, isDeliveryStatus, type ActionOutcome, type DeliveryStatus } from '../lib/deliveries/record.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Status classes, like the filter on GitLab's own webhook event log (successful, client
 * failure, server failure), decided from what the bridge did rather than an HTTP status:
 * - `successful`: `done` or `ignored`: handled as intended (an ignored event is one the bridge
 *   was told about and deliberately does not act on).
 * - `client_failure`: `failed` or `partial` where every failed action was refused for good: the
 *   downstream answered 4xx (DownstreamRejected) or the bridge's config is wrong (ConfigError).
 *   The same request would fail again: fix the config or the data, then replay.
 * - `server_failure`: `failed` or `partial` with a failed action that was retryable (a 5xx,
 *   timeout, rate limit: attempts ran out), and `processing` (a retryable failure is being
 *   retried right now). Replaying once the downstream is back usually fixes these.
 */
export const STATUS_CLASSES = ['successful', 'client_failure', 'server_failure'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export type StatusFilter = DeliveryStatus | StatusClass;

export const STATUS_FILTER_VALUES: readonly StatusFilter[] = [...DELIVERY_STATUSES, ...STATUS_CLASSES];

/** Which stored statuses a class can come from (the index is queried per status). */
const CLASS_STATUSES: Record<StatusClass, readonly DeliveryStatus[]> = {
  successful: ['done', 'ignored'],
  client_failure: ['failed', 'partial'],
  server_failure: ['failed', 'partial', 'processing'],
};

/** The class of a finished or retrying delivery; `undefined` while it is `queued`. */
export function classifyDelivery(status: DeliveryStatus, outcomes: readonly Pick<ActionOutcome, 'status' | 'retryable'>[]): StatusClass | undefined {
  switch (status) {
    case 'done':
    case 'ignored':
      return 'successful';
    case 'processing':
      return 'server_failure';
    case 'failed':
    case 'partial':
      return outcomes.some((outcome) => outcome.status === 'failed' && outcome.retryable === true) ? 'server_failure' : 'client_failure';
    case 'queued':
      return undefined;
  }
}

export interface ParsedStatusFilter {
  /** Stored statuses to query (empty: all). */
  query: DeliveryStatus[];
  /** Statuses that match on their own. */
  direct: DeliveryStatus[];
  /** Failure classes, decided per delivery from its outcomes. */
  classes: StatusClass[];
}

/** Parses `--status failed,server_failure` into statuses to query and classes to check. */
export function parseStatusFilter(value: string | undefined): ParsedStatusFilter {
  const direct = new Set<DeliveryStatus>();
  const classes = new Set<StatusClass>();
  for (const raw of splitCommaList(value).map((part) => part.toLowerCase().replace(/-/g, '_'))) {
    if (isDeliveryStatus(raw)) direct.add(raw);
    else if ((STATUS_CLASSES as readonly string[]).includes(raw)) classes.add(raw as StatusClass);
    else throw new CliError(`unknown status "${raw}"`, EXIT.usage, `use one of ${STATUS_FILTER_VALUES.join(', ')}`);
  }
  // `successful` needs no outcomes: it is exactly done + ignored.
  if (classes.delete('successful')) CLASS_STATUSES.successful.forEach((status) => direct.add(status));
  const query = new Set(direct);
  for (const cls of classes) CLASS_STATUSES[cls].forEach((status) => query.add(status));
  return { query: [...query], direct: [...direct], classes: [...classes] };
}

/** True when deciding whether a delivery with `status` matches needs its outcomes (a GetItem). */
export function needsOutcomes(filter: ParsedStatusFilter, status: DeliveryStatus): boolean {
  return filter.classes.length > 0 && !filter.direct.includes(status);
}

/** Whether a delivery passes the filter, given its outcomes when needsOutcomes said so. */
export function matchesStatusFilter(
  filter: ParsedStatusFilter,
  status: DeliveryStatus,
  outcomes: readonly Pick<ActionOutcome, 'status' | 'retryable'>[] = [],
): boolean {
  if (filter.query.length === 0 || filter.direct.includes(status)) return true;
  const cls = classifyDelivery(status, outcomes);
  return cls !== undefined && filter.classes.includes(cls);
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since 7d` / `90m` / `2h` / `1w`, or an ISO date-time: the ISO time it stands for. Throws
 * a usage error naming the accepted forms.
 */
export function parseSince(value: string, now: Date): string {
  const match = /^(\d+)\s*([smhdw])$/i.exec(value.trim());
  if (match) {
    const amount = Number(match[1]);
    const unit = DURATION_UNITS[match[2]!.toLowerCase()]!;
    return new Date(now.getTime() - amount * unit).toISOString();
  }
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw new CliError(`--since "${value}" is not a duration or a date`, EXIT.usage, 'use e.g. 30m, 12h, 7d, 2w, or an ISO time like 2026-01-31T09:00:00Z');
  }
  return new Date(time).toISOString();
}

/**
 * The `--before` page cursor (a `nextBefore` value, or any ISO time) as the ISO time the store
 * compares with. Anything else is refused: compared as text it would select every delivery.
 */
export function parseBefore(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw new CliError(
      `--before "${value}" is not a time`,
      EXIT.usage,
      'pass the nextBefore value a previous page printed, or an ISO time like 2026-01-31T09:00:00Z',
    );
  }
  return new Date(time).toISOString();
}
