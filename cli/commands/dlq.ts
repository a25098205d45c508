import { DeleteMessageCommand } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import type { DeliverySummary } from '../../lib/deliveries/record.js';
import type { DeliveryStore } from '../../lib/deliveries/store.js';
import type { DeliveryQueue } from '../../lib/queue/queue.js';
import { openDeliveryQueue, openDeliveryStore } from '../bridge-clients.js';
import type { CommandSetup } from '../command-setup.js';
import type { CliContext } from '../context.js';
import { dlqReader, readDeadLetters, releaseDeadLetters, withSqsErrors, type DeadLetter, type DlqReader } from '../dead-letters.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { renderTable, shortTime, toJson } from '../format/table.js';
import { flagOption, numberOption, positiveInt } from '../options.js';
import { createProgress } from '../progress.js';

export interface DlqListOptions {
  limit: number;
  json: boolean;
}

/**
 * `dlq list`: the dead-lettered deliveries, each joined with its delivery record when the
 * table is reachable (event, project, why it failed). Reading does not consume: every
 * message is made visible again afterwards.
 */
export async function dlqListCommand(context: CliContext, reader: DlqReader, store: DeliveryStore | undefined, options: DlqListOptions): Promise<ExitCode> {
  const letters = await withSqsErrors(context, reader.dlqUrl, async () => {
    const read = await readDeadLetters(reader, options.limit);
    await releaseDeadLetters(reader, read);
    return read;
  });
  const deliveries = new Map<string, DeliverySummary>();
  if (store) {
    try {
      for (const letter of letters) {
        const id = letter.message?.deliveryId;
        if (id && !deliveries.has(id)) {
          const record = await store.get(id);
          if (record) deliveries.set(id, record);
        }
      }
    } catch (error) {
      // The messages are the point of this command; the records only add detail.
      context.stderr.write(`note: delivery details unavailable (${error instanceof CliError ? error.line() : String(error)})\n`);
      store = undefined;
    }
  }
  if (options.json) {
    context.stdout.write(
      toJson({
        messages: letters.map((letter) => ({
          messageId: letter.messageId,
          deliveryId: letter.message?.deliveryId ?? null,
          ...(letter.message ? {} : { body: letter.body }),
          sentAt: letter.sentAt ?? null,
          receiveCount: letter.receiveCount ?? null,
          delivery: (letter.message && summaryOnly(deliveries.get(letter.message.deliveryId))) ?? null,
        })),
      }),
    );
    return EXIT.ok;
  }
  if (letters.length === 0) {
    context.stdout.write('The dead-letter queue is empty.\n');
    return EXIT.ok;
  }
  context.stdout.write(
    renderTable(
      [
        { header: 'DELIVERY ID' },
        { header: 'FIRST SENT (UTC)' },
        { header: 'EVENT', maxWidth: 20 },
        { header: 'PROJECT', maxWidth: 40 },
        { header: 'STATUS' },
        { header: 'NOTE', maxWidth: 70 },
      ],
      letters.map((letter) => {
        const delivery = letter.message ? deliveries.get(letter.message.deliveryId) : undefined;
        if (!letter.message) return [`(not a bridge message: ${letter.messageId})`, shortTime(letter.sentAt), '-', '-', '-', letter.body.slice(0, 60)];
        return [
          letter.message.deliveryId,
          shortTime(letter.sentAt),
          delivery ? (delivery.objectKind ?? delivery.event) : '-',
          delivery?.projectPath ?? '-',
          delivery?.status ?? (store ? 'record expired' : '-'),
          delivery?.statusReason ?? '',
        ];
      }),
    ),
  );
  context.stdout.write(
    `${letters.length} message${letters.length === 1 ? '' : 's'} in the dead-letter queue${letters.length === options.limit ? ' (--limit reached; there may be more)' : ''}. Move them back with \`gitlab-bridge dlq redrive\`.\n`,
  );
  return EXIT.ok;
}

function summaryOnly(record: DeliverySummary | undefined): DeliverySummary | undefined {
  if (!record) return undefined;
  const { id, receivedAt, event, objectKind, projectId, projectPath, ref, status, statusReason, attempts, updatedAt, expiresAt } = record;
  return { id, receivedAt, event, objectKind, projectId, projectPath, ref, status, ...(statusReason ? { statusReason } : {}), attempts, updatedAt, expiresAt };
}

export interface RedriveOptions {
  /** Only these delivery ids; all when empty. */
  ids: string[];
  limit: number;
  dryRun: boolean;
  json: boolean;
}

export interface RedriveReport {
  moved: string[];
  left: { messageId: string; deliveryId: string | null; reason: string }[];
  failed: { deliveryId: string; error: string }[];
  dryRun: boolean;
}

/**
 * `dlq redrive`: moves dead-lettered deliveries back to the worker's queue. Plain
 * receive / send / delete rather than SQS StartMessageMoveTask: it works the same on AWS and the
 * local queue, moves only the deliveries asked for, marks each record `queued` (so the log
 * shows it is being retried) and sends it as a replay (the worker would otherwise treat the
 * already-`failed` record as finished). The message is deleted from the DLQ only after the send
 * succeeded; effect keys make a duplicate harmless.
 */
export async function redriveDeadLetters(
  context: CliContext,
  reader: DlqReader,
  store: DeliveryStore,
  queue: DeliveryQueue,
  options: RedriveOptions,
): Promise<RedriveReport> {
  const report: RedriveReport = { moved: [], left: [], failed: [], dryRun: options.dryRun };
  const letters = await withSqsErrors(context, reader.dlqUrl, () => readDeadLetters(reader, options.limit));
  const wanted = new Set(options.ids);
  const toRelease: DeadLetter[] = [];
  const selected = letters.filter((letter) => {
    if (!letter.message) {
      // Reported only when moving everything; a redrive of named ids is not about it.
      if (wanted.size === 0) report.left.push({ messageId: letter.messageId, deliveryId: null, reason: 'not a bridge delivery message' });
      toRelease.push(letter);
      return false;
    }
    if (wanted.size > 0 && !wanted.has(letter.message.deliveryId)) {
      toRelease.push(letter);
      return false;
    }
    return true;
  });
  const progress = selected.length > 1 ? createProgress(context.stderr, selected.length, options.dryRun ? 'checking' : 'redriving') : undefined;
  for (const letter of selected) {
    const message = letter.message!;
    const id = message.deliveryId;
    try {
      const record = await store.get(id);
      if (!record) {
        report.left.push({ messageId: letter.messageId, deliveryId: id, reason: 'delivery record not found (expired?); the worker could not run it' });
        toRelease.push(letter);
        progress?.tick(`${id} left: record not found`);
        continue;
      }
      if (options.dryRun) {
        report.moved.push(id);
        toRelease.push(letter);
        progress?.tick(`${id} would be moved`);
        continue;
      }
      await store.markQueuedForReplay(id);
      await queue.send({ ...message, replay: true });
      await withSqsErrors(context, reader.dlqUrl, () =>
        reader.client.send(new DeleteMessageCommand({ QueueUrl: reader.dlqUrl, ReceiptHandle: letter.receiptHandle })),
      );
      report.moved.push(id);
      progress?.tick(`${id} moved`);
    } catch (error) {
      report.failed.push({ deliveryId: id, error: error instanceof CliError ? error.line() : error instanceof Error ? error.message : String(error) });
      toRelease.push(letter);
      progress?.tick(`${id} failed`);
    }
  }
  progress?.done();
  for (const id of wanted) {
    if (!letters.some((letter) => letter.message?.deliveryId === id)) {
      report.left.push({ messageId: '', deliveryId: id, reason: 'not in the dead-letter queue' });
    }
  }
  await withSqsErrors(context, reader.dlqUrl, () => releaseDeadLetters(reader, toRelease));
  return report;
}

export function formatRedriveSummary(report: RedriveReport): string {
  const lines = [
    `${report.dryRun ? 'Would move' : 'Moved'} ${report.moved.length} deliver${report.moved.length === 1 ? 'y' : 'ies'} back to the queue; ${report.left.length} left in place, ${report.failed.length} failed.`,
  ];
  for (const left of report.left) lines.push(`  left ${left.deliveryId ?? left.messageId}: ${left.reason}`);
  for (const failed of report.failed) lines.push(`  failed ${failed.deliveryId}: ${failed.error}`);
  return `${lines.join('\n')}\n`;
}

export async function dlqRedriveCommand(
  context: CliContext,
  reader: DlqReader,
  store: DeliveryStore,
  queue: DeliveryQueue,
  options: RedriveOptions,
): Promise<ExitCode> {
  const report = await redriveDeadLetters(context, reader, store, queue, options);
  context.stdout.write(options.json ? toJson(report) : formatRedriveSummary(report));
  if (report.failed.length > 0) return EXIT.failure;
  if (options.ids.length > 0 && report.moved.length < options.ids.length) return EXIT.notFound;
  return EXIT.ok;
}

const LIST_OPTIONS = {
  limit: numberOption('-n, --limit <n>', 'read at most this many messages', positiveInt('--limit'), 100),
  json: flagOption('--json', 'JSON for scripts'),
};

const REDRIVE_OPTIONS = {
  limit: numberOption('-n, --limit <n>', 'move at most this many', positiveInt('--limit'), 1000),
  dryRun: flagOption('--dry-run', 'show what would move, change nothing'),
  json: flagOption('--json', 'the summary as JSON'),
};

/** `gitlab-bridge dlq list|redrive` */
export function registerDlq(program: Command, { context, resources, action }: CommandSetup): void {
  const dlq = program.command('dlq').description('The dead-letter queue: deliveries that failed every attempt.');
  action(dlq.command('list').description('List dead-lettered deliveries without consuming them.'), LIST_OPTIONS, async (options, command) => {
    const bridge = resources(command);
    const reader = dlqReader(context, await bridge.dlqUrl());
    // The delivery log adds event, project and reason; without a table the list still works.
    const store = await openDeliveryStore(context, bridge).catch((error: unknown) => {
      context.stderr.write(`note: delivery details unavailable (${error instanceof CliError ? error.line() : String(error)})\n`);
      return undefined;
    });
    return dlqListCommand(context, reader, store, options);
  });
  action(
    dlq
      .command('redrive')
      .description("Move dead-lettered deliveries back to the worker's queue (as replays: succeeded actions are skipped).")
      .argument('[ids...]', 'only these delivery ids (default: all)'),
    REDRIVE_OPTIONS,
    async (options, command) => {
      const bridge = resources(command);
      const reader = dlqReader(context, await bridge.dlqUrl());
      const store = await openDeliveryStore(context, bridge);
      const queue = await openDeliveryQueue(context, bridge);
      return dlqRedriveCommand(context, reader, store, queue, { ...options, ids: command.args });
    },
  );
}
