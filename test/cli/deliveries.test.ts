import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { cli, localEnv, outcome, seed } from './harness.js';

type TestTable = Awaited<ReturnType<typeof startTestTable>>;

describe('deliveries list / show / replay against dynalite and local SQS', () => {
  let table: TestTable;
  let sqs: LocalSqs;
  let store: DynamoDbDeliveryStore;
  let env: Record<string, string>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    table = await startTestTable('cli-deliveries');
    sqs = await startTestQueues({ queueName: 'cli-deliveries-queue' });
    store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
    env = localEnv({ dynamo: table.endpoint, sqs: sqs.endpoint }, { BRIDGE_TABLE_NAME: table.tableName, BRIDGE_QUEUE_URL: sqs.queueUrl });
    // Oldest first; receivedAt increases with each seed.
    ids.done = (await seed(store, 'done', {}, [outcome({ status: 'sent', result: { messageId: 'm-1' } })])).id;
    ids.ignored = (await seed(store, 'ignored', { event: 'Issue Hook', objectKind: 'issue', ref: null, statusReason: 'event not handled: Issue Hook' })).id;
    ids.rejected = (await seed(store, 'failed', {}, [outcome({ status: 'failed', error: 'Teams answered 400: card is invalid', retryable: false })])).id;
    ids.downstreamDown = (
      await seed(
        store,
        'failed',
        { projectPath: 'acme/api', projectId: 7 },
        [outcome({ status: 'failed', error: 'Teams answered 503', retryable: true, attempts: 5 })],
        'gave up after 5 attempts: Teams answered 503',
      )
    ).id;
    ids.partial = (
      await seed(store, 'partial', {}, [
        outcome({ key: 'a', status: 'sent' }),
        outcome({ key: 'b', kind: 'jira', target: 'ABC-1', status: 'failed', error: 'Jira answered 404: Issue does not exist', retryable: false }),
      ])
    ).id;
    ids.queued = (await seed(store, 'queued', { objectKind: 'merge_request', event: 'Merge Request Hook' })).id;
  });

  afterAll(async () => {
    await sqs?.close();
    await table?.close();
  });

  it('lists newest first as a table', async () => {
    const run = await cli(env, ['deliveries', 'list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECEIVED \(UTC\)\s+ID\s+EVENT\s+PROJECT\s+REF\s+STATUS\s+TRIES\s+NOTE$/);
    const order = lines.slice(1).map((line) => Object.entries(ids).find(([, id]) => line.includes(id))?.[0]);
    expect(order).toEqual(['queued', 'partial', 'downstreamDown', 'rejected', 'ignored', 'done']);
    expect(lines.find((line) => line.includes(ids.downstreamDown!))).toMatch(/acme\/api\s+main\s+failed\s+1\s+gave up after 5 attempts: Teams answered 503/);
    expect(lines.find((line) => line.includes(ids.ignored!))).toMatch(/issue\s+flightjs\/flight-management\s+-\s+ignored/);
  });

  it('prints JSON for scripts', async () => {
    const run = await cli(env, ['deliveries', 'list', '--json', '--project', 'acme/api']);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as { items: { id: string; status: string; projectPath: string }[]; nextBefore?: string };
    expect(parsed.items.map((item) => item.id)).toEqual([ids.downstreamDown]);
    expect(parsed.items[0]).toMatchObject({ status: 'failed', projectPath: 'acme/api', event: 'Pipeline Hook', attempts: 1 });
    expect(parsed.nextBefore).toBeUndefined();
  });

  it.each([
    ['failed', ['downstreamDown', 'rejected']],
    ['successful', ['ignored', 'done']],
    ['client_failure', ['partial', 'rejected']],
    ['server_failure', ['downstreamDown']],
    ['queued,partial', ['queued', 'partial']],
  ])('filters --status %s', async (status, expected) => {
    const run = await cli(env, ['deliveries', 'list', '--status', status, '--json']);
    expect(run.code).toBe(0);
    const items = (JSON.parse(run.stdout) as { items: { id: string }[] }).items;
    expect(items.map((item) => Object.entries(ids).find(([, id]) => id === item.id)?.[0])).toEqual(expected);
  });

  it('pages with --limit and the nextBefore cursor', async () => {
    const first = JSON.parse((await cli(env, ['deliveries', 'list', '--limit', '4', '--json'])).stdout) as { items: { id: string }[]; nextBefore: string };
    expect(first.items).toHaveLength(4);
    expect(first.nextBefore).toBeDefined();
    const second = JSON.parse((await cli(env, ['deliveries', 'list', '--limit', '4', '--before', first.nextBefore, '--json'])).stdout) as {
      items: { id: string }[];
      nextBefore?: string;
    };
    expect(second.items.map((item) => item.id)).toEqual([ids.ignored, ids.done]);
    expect(second.nextBefore).toBeUndefined();
    const table = await cli(env, ['deliveries', 'list', '--limit', '4']);
    expect(table.stdout).toContain(`add --before ${first.nextBefore} for the next page`);
  });

  it('filters --since relative to now', async () => {
    // Seeds are from 2026-01-16 09:00:0x; "now" two hours later.
    const now = () => new Date('2026-01-16T11:00:00Z');
    const recent = await cli(env, ['deliveries', 'list', '--since', '2h', '--json'], { now });
    expect((JSON.parse(recent.stdout) as { items: unknown[] }).items).toHaveLength(6);
    const none = await cli(env, ['deliveries', 'list', '--since', '90m', '--json'], { now });
    expect((JSON.parse(none.stdout) as { items: unknown[] }).items).toHaveLength(0);
  });

  it('rejects a bad --status or --since with a usage error naming the fix', async () => {
    const status = await cli(env, ['deliveries', 'list', '--status', 'broken']);
    expect(status.code).toBe(2);
    expect(status.stderr).toBe(
      `gitlab-bridge: unknown status "broken"; use one of queued, processing, done, partial, failed, ignored, successful, client_failure, server_failure\n`,
    );
    const since = await cli(env, ['deliveries', 'list', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since "yesterday" is not a duration or a date; use e\.g\. 30m/);
  });

  it('refuses a --before cursor that is not a time, instead of comparing it as text and selecting everything', async () => {
    for (const argv of [
      ['deliveries', 'list', '--before', 'yesterday'],
      ['deliveries', 'replay', '--status', 'failed', '--before', 'yesterday', '--force'],
    ]) {
      const run = await cli(env, argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'gitlab-bridge: --before "yesterday" is not a time; pass the nextBefore value a previous page printed, or an ISO time like 2026-01-31T09:00:00Z\n',
      );
    }
    expect((await store.get(ids.rejected!))?.status).toBe('failed');
  });

  it('shows one delivery with outcomes, redacted headers and the payload', async () => {
    const run = await cli(env, ['deliveries', 'show', ids.partial!]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Status:\s+partial \(client_failure\)/);
    expect(run.stdout).toMatch(/failed\s+jira\s+ABC-1\s+pipeline failed notice\s+1\s+2026-01-16 09:00:30\s+Jira answered 404: Issue does not exist/);
    expect(run.stdout).toContain('x-gitlab-token: [REDACTED]');
    expect(run.stdout).toContain('"object_kind": "pipeline"');
    const json = JSON.parse((await cli(env, ['deliveries', 'show', ids.partial!, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      id: ids.partial,
      status: 'partial',
      statusClass: 'client_failure',
      headers: { 'x-gitlab-token': '[REDACTED]' },
      payload: { object_kind: 'pipeline' },
    });
    expect((json.outcomes as unknown[]).length).toBe(2);
  });

  it('answers a missing delivery with exit 3', async () => {
    const run = await cli(env, ['deliveries', 'show', 'no-such-delivery']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^gitlab-bridge: delivery no-such-delivery not found; list recent ones/);
  });

  it('continues a bulk replay past --limit with the --before cursor it prints, not by re-selecting the same deliveries', async () => {
    const first = await cli(env, ['deliveries', 'replay', '--project', 'flightjs/flight-management', '--limit', '2', '--dry-run']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`${ids.queued} would be queued`);
    expect(first.stderr).toContain(`${ids.partial} would be queued`);
    const cursor = /continue with --before (\S+)\n/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = JSON.parse(
      (await cli(env, ['deliveries', 'replay', '--project', 'flightjs/flight-management', '--limit', '2', '--before', cursor!, '--dry-run', '--json'])).stdout,
    ) as { queued: string[]; skipped: { id: string }[]; nextBefore?: string };
    expect(next.queued).toEqual([ids.rejected]);
    expect(next.skipped.map((skipped) => skipped.id)).toEqual([ids.ignored]);
    expect(next.nextBefore).toBeDefined();
  });

  it('replays by id: marks the record queued and sends a replay message', async () => {
    const run = await cli(env, ['deliveries', 'replay', ids.rejected!, 'no-such-delivery']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('Queued 1 delivery for replay (actions that already succeeded are skipped); 0 skipped, 1 not found, 0 failed.');
    expect(run.stdout).toContain('not found no-such-delivery');
    expect((await store.get(ids.rejected!))?.status).toBe('queued');
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([{ v: 1, deliveryId: ids.rejected, replay: true }]);
    await Promise.all(
      (received.Messages ?? []).map((message) => sqs.client.send(new DeleteMessageCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: message.ReceiptHandle }))),
    );
  });

  it('bulk-replays a selection with --force, with progress lines on a non-TTY and a JSON summary', async () => {
    const run = await cli(env, ['deliveries', 'replay', '--status', 'server_failure,partial', '--force', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { queued: string[]; skipped: unknown[]; force: boolean };
    expect(report.queued.sort()).toEqual([ids.downstreamDown, ids.partial].sort());
    expect(report.force).toBe(true);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^replaying 1\/2: .+ queued$/),
      expect.stringMatching(/^replaying 2\/2: .+ queued$/),
    ]);
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const bodies = (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as { deliveryId: string; replay: boolean; force: boolean });
    expect(bodies.map((body) => body.deliveryId).sort()).toEqual([ids.downstreamDown, ids.partial].sort());
    expect(bodies.every((body) => body.replay === true && body.force === true)).toBe(true);
  });

  it('draws a progress bar on a TTY and skips ignored events', async () => {
    const run = await cli(env, ['deliveries', 'replay', '--status', 'successful', '--dry-run'], { tty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('\rchecking [##############--------------] 1/2');
    expect(run.stderr).toContain('\rchecking [############################] 2/2');
    expect(run.stdout).toContain('Would queue 1 delivery for replay');
    expect(run.stdout).toContain(`skipped ${ids.ignored}: ignored event (issue): the bridge has nothing to run for it`);
    expect((await store.get(ids.done!))?.status).toBe('done');
  });

  it('refuses a replay with neither ids nor a selection', async () => {
    const run = await cli(env, ['deliveries', 'replay']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('gitlab-bridge: nothing to replay; give delivery IDs, or select with --status failed --since 1d (see --help)\n');
  });

  it('names a missing table with the flags that fix it', async () => {
    const run = await cli({ ...env, BRIDGE_TABLE_NAME: 'no-such-table' }, ['deliveries', 'list']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('gitlab-bridge: DynamoDB table no-such-table does not exist; check --table / --queue-url / --dlq-url, or --stack and AWS_REGION\n');
  });
});
