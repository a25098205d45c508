import { REDACTED, redactHeaders, type ActionOutcome, type DeliveryRecord, type DeliverySummary } from '../../lib/deliveries/record.js';
import { SLACK_ACTION_KIND } from '../../lib/slack/interaction.js';
import { classifyDelivery, type StatusClass } from '../delivery-filters.js';
import { renderTable, shortTime } from './table.js';

/** The table `deliveries list` prints, newest first as given. */
export function formatDeliveryTable(items: readonly DeliverySummary[]): string {
  if (items.length === 0) return 'No deliveries match.\n';
  return renderTable(
    [
      { header: 'RECEIVED (UTC)' },
      { header: 'ID' },
      { header: 'EVENT', maxWidth: 20 },
      { header: 'PROJECT', maxWidth: 40 },
      { header: 'REF', maxWidth: 30 },
      { header: 'STATUS' },
      { header: 'TRIES', align: 'right' },
      { header: 'NOTE', maxWidth: 60 },
    ],
    items.map((item) => [
      shortTime(item.receivedAt),
      item.id,
      item.objectKind ?? item.event,
      item.projectPath ?? (item.projectId !== null ? String(item.projectId) : '-'),
      item.ref ?? '-',
      item.status,
      String(item.attempts),
      item.statusReason ?? '',
    ]),
  );
}

/** The delivery as `--json` prints it: the record with the payload parsed when it is JSON. */
export function deliveryJson(record: DeliveryRecord): Record<string, unknown> {
  const statusClass = classifyDelivery(record.status, record.outcomes);
  return {
    ...record,
    ...(statusClass ? { statusClass } : {}),
    // The store redacts on write; redacting again costs nothing and guards older records.
    headers: redactHeaders(record.headers),
    payload: parsePayload(record.payload),
  };
}

function parsePayload(payload: string): unknown {
  try {
    return withoutResponseUrl(JSON.parse(payload));
  } catch {
    return payload;
  }
}

/**
 * A Slack click's `response_url` lets whoever holds it post into the channel (for 30 minutes, 5
 * times): the worker needs it, a terminal does not.
 */
function withoutResponseUrl(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('response_url' in payload)) return payload;
  return { ...payload, response_url: REDACTED };
}

/** Who clicked what, for a `slack_action` delivery (lib/slack/interaction.ts). */
function interactionFields(record: DeliveryRecord): [string, string][] {
  if (record.objectKind !== SLACK_ACTION_KIND) return [];
  const payload = parsePayload(record.payload) as {
    user?: { id?: string; username?: string };
    action?: { action_id?: string; action_ts?: string };
    container?: { channel_id?: string; message_ts?: string };
  };
  const clickedAt = payload.action?.action_ts ? `${shortTime(new Date(Number(payload.action.action_ts) * 1000).toISOString())} UTC` : '-';
  const who = payload.user?.username ? `@${payload.user.username} (${payload.user.id ?? '?'})` : (payload.user?.id ?? '-');
  const result = record.outcomes.map((outcome) =>
    outcome.status === 'sent'
      ? `retried (${outcomeNote(outcome)})`
      : outcome.status === 'skipped'
        ? (outcome.reason ?? 'skipped')
        : `failed: ${outcome.error ?? ''}`,
  );
  return [
    ['Clicked by', who],
    ['Clicked', clickedAt],
    ['Button', `${payload.action?.action_id ?? '-'} on message ${payload.container?.message_ts ?? '-'} in ${payload.container?.channel_id ?? '-'}`],
    ['Result', result.join('; ') || '(not processed yet)'],
  ];
}

function outcomeNote(outcome: ActionOutcome): string {
  if (outcome.status === 'failed') return `${outcome.error ?? 'failed'}${outcome.retryable ? ' (retryable)' : ''}`;
  if (outcome.status === 'skipped') return outcome.reason ?? '';
  const ids = Object.entries(outcome.result ?? {}).map(([name, value]) => `${name}=${value}`);
  return ids.join(' ');
}

/** The human view of `deliveries show`: summary, actions, headers, payload. */
export function formatDeliveryDetail(record: DeliveryRecord): string {
  const statusClass: StatusClass | undefined = classifyDelivery(record.status, record.outcomes);
  const fields: [string, string][] = [
    ['Delivery', record.id],
    ['Received', `${shortTime(record.receivedAt)} UTC`],
    ['Event', `${record.event}${record.objectKind ? ` (${record.objectKind})` : ''}`],
    ['Project', `${record.projectPath ?? '-'}${record.projectId !== null ? ` (id ${record.projectId})` : ''}`],
    ['Ref', record.ref ?? '-'],
    ...(record.recovered
      ? ([
          [
            'Source',
            `recovered from GitLab's hook event log (hook #${record.recovered.hookId}, event ${record.recovered.hookEventId}) at ${shortTime(record.recovered.at)} UTC`,
          ],
        ] as [string, string][])
      : []),
    ['Status', `${record.status}${statusClass ? ` (${statusClass})` : ''}${record.statusReason ? `: ${record.statusReason}` : ''}`],
    ['Attempts', String(record.attempts)],
    ['Updated', `${shortTime(record.updatedAt)} UTC`],
    ['Expires', record.expiresAt ? `${shortTime(new Date(record.expiresAt * 1000).toISOString())} UTC` : '-'],
    ...interactionFields(record),
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  let text = fields.map(([name, value]) => `${`${name}:`.padEnd(width + 2)}${value}`).join('\n') + '\n';

  text += '\nActions\n';
  text +=
    record.outcomes.length === 0
      ? '  (none recorded)\n'
      : indent(
          renderTable(
            [
              { header: 'STATUS' },
              { header: 'KIND' },
              { header: 'TARGET', maxWidth: 40 },
              { header: 'SUMMARY', maxWidth: 50 },
              { header: 'TRIES', align: 'right' },
              { header: 'AT (UTC)' },
              { header: 'DETAIL', maxWidth: 80 },
            ],
            record.outcomes.map((outcome) => [
              outcome.status,
              outcome.kind,
              outcome.target,
              outcome.summary,
              String(outcome.attempts),
              shortTime(outcome.at),
              outcomeNote(outcome),
            ]),
          ),
        );

  text += '\nHeaders\n';
  const headers = Object.entries(redactHeaders(record.headers)).sort(([a], [b]) => a.localeCompare(b));
  text += headers.length === 0 ? '  (none)\n' : headers.map(([name, value]) => `  ${name}: ${value}`).join('\n') + '\n';

  text += '\nPayload\n';
  const payload = parsePayload(record.payload);
  text += indent(typeof payload === 'string' ? `${payload}\n` : `${JSON.stringify(payload, null, 2)}\n`);
  return text;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
