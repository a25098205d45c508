import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { AuthProject, DeliveryStatus } from '../../lib/deliveries/record.js';
import type { NewDelivery } from '../../lib/deliveries/store.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import { DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable, WaitsForRetry, type DownstreamService } from '../../lib/errors.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsVisibility } from '../../lib/queue/sqs-queue.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import type { Planner } from '../../lib/worker/action.js';
import { on } from '../../lib/worker/event-table.js';
import { processDelivery, type WorkerDeps } from '../../lib/worker/process-delivery.js';
import { createSqsBatchHandler } from '../../lib/worker/sqs-batch.js';
import { readFixture } from '../support/gitlab-fixtures.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';
import { startRecordingServer } from '../support/recording-server.js';

/**
 * The worker core, with a planner whose actions POST to a loopback HTTP server: a real wire
 * that can be made to fail, rate limit or refuse. Slack, Teams and Jira have their own tests.
 */
let table: Awaited<ReturnType<typeof startTestTable>>;
let downstream: Awaited<ReturnType<typeof startRecordingServer>>;
let deps: WorkerDeps;
let store: DynamoDbDeliveryStore;
let seq = 0;
/** The echo server stands in for any downstream; the worker core never reads the service. */
const ECHO_SERVICE: DownstreamService = 'Slack';

async function post(path: string): Promise<{ result: Record<string, string> }> {
  let response: Response;
  try {
    response = await fetch(`${downstream.url}${path}`, { method: 'POST', body: '{}' });
  } catch (error) {
    throw new DownstreamUnavailable(ECHO_SERVICE, `network error: ${(error as Error).message}`);
  }
  if (response.status === 429) throw new DownstreamRateLimited(ECHO_SERVICE, Number(response.headers.get('retry-after') ?? '1') * 1000);
  if (response.status >= 500) throw new DownstreamUnavailable(ECHO_SERVICE, `echo answered ${response.status}`, response.status);
  if (response.status >= 400) throw new DownstreamRejected(ECHO_SERVICE, `echo answered ${response.status}`, response.status, [await response.text()]);
  return { result: { status: String(response.status) } };
}

/** Two actions per pipeline delivery: `/a/<id>` and `/b/<id>`. */
const echoPlanner: Planner = {
  name: 'echo',
  events: {
    pipeline: on(z.unknown(), (_event, { delivery }) =>
      ['a', 'b'].map((name) => ({
        key: `echo:${name}:${delivery.id}`,
        kind: 'echo',
        target: name,
        summary: `echo ${name}`,
        run: () => post(`/${name}/${delivery.id}`),
      })),
    ),
  },
};

async function storeDelivery(
  status: DeliveryStatus = 'queued',
  objectKind = 'pipeline',
  authProject?: AuthProject,
  extra: Partial<Pick<NewDelivery, 'receivedAt' | 'recovered'>> = {},
): Promise<string> {
  const id = `worker-test-${++seq}`;
  await store.create({
    ...(authProject ? { authProject } : {}),
    id,
    receivedAt: new Date().toISOString(),
    event: 'Pipeline Hook',
    objectKind,
    projectId: 1,
    projectPath: 'gitlab-org/gitlab-test',
    ref: 'master',
    headers: {},
    payload: JSON.stringify(readFixture('pipeline--success.json')),
    status,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    ...extra,
  });
  return id;
}

function sqsRecord(deliveryId: string, receiveCount = 1, receiptHandle = `rh-${deliveryId}`): SQSRecord {
  return {
    messageId: `m-${deliveryId}`,
    receiptHandle,
    body: JSON.stringify({ v: 1, deliveryId }),
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

beforeAll(async () => {
  table = await startTestTable();
  downstream = await startRecordingServer({ status: 200 });
  store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
  deps = {
    deliveries: store,
    effects: new DynamoDbEffectLedger({ client: table.client, tableName: table.tableName }),
    state: new DynamoDbStateStore(table.client, table.tableName),
    planners: [echoPlanner],
    maxAttempts: 3,
  };
});

afterAll(async () => {
  await downstream.close();
  await table.close();
});

beforeEach(() => {
  downstream.requests.length = 0;
  downstream.setDefault({ status: 200 });
});

describe('processDelivery', () => {
  it('runs each action and records it as sent', async () => {
    const id = await storeDelivery();
    const result = await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    expect(result.kind).toBe('finished');
    expect(downstream.requests.map((request) => request.path)).toEqual([`/a/${id}`, `/b/${id}`]);
    const stored = await store.get(id);
    expect(stored?.status).toBe('done');
    expect(stored?.attempts).toBe(1);
    expect(stored?.outcomes.map((outcome) => [outcome.key, outcome.status, outcome.result])).toEqual([
      [`echo:a:${id}`, 'sent', { status: '200' }],
      [`echo:b:${id}`, 'sent', { status: '200' }],
    ]);
  });

  it('answers an unknown delivery id without touching anything', async () => {
    expect(await processDelivery({ v: 1, deliveryId: 'never-stored' }, 1, deps)).toEqual({ kind: 'unknown' });
    expect(downstream.requests).toEqual([]);
  });

  it('does nothing for a delivery that is already done', async () => {
    const id = await storeDelivery();
    await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    downstream.requests.length = 0;
    expect(await processDelivery({ v: 1, deliveryId: id }, 1, deps)).toEqual({ kind: 'already-finished', status: 'done' });
    expect(downstream.requests).toEqual([]);
  });

  it('a replay skips the actions that already succeeded', async () => {
    const id = await storeDelivery();
    await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    downstream.requests.length = 0;
    const replay = await processDelivery({ v: 1, deliveryId: id, replay: true }, 1, deps);
    expect(downstream.requests).toEqual([]);
    expect(replay.kind === 'finished' && replay.outcomes.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped']);
    expect((await store.get(id))?.outcomes[0]?.reason).toMatch(/^already sent at /);
  });

  it('a forced replay runs them again', async () => {
    const id = await storeDelivery();
    await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    downstream.requests.length = 0;
    await processDelivery({ v: 1, deliveryId: id, replay: true, force: true }, 1, deps);
    expect(downstream.requests.map((request) => request.path)).toEqual([`/a/${id}`, `/b/${id}`]);
  });

  it('retries only what failed: the sent action is not repeated on the next attempt', async () => {
    const id = await storeDelivery();
    downstream.answerNext({ status: 200 }, { status: 503 });
    const first = await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    expect(first).toMatchObject({ kind: 'retry', status: 'processing', error: 'echo answered 503' });
    expect((await store.get(id))?.status).toBe('processing');
    const second = await processDelivery({ v: 1, deliveryId: id }, 2, deps);
    expect(second.kind).toBe('finished');
    expect(downstream.requests.map((request) => request.path)).toEqual([`/a/${id}`, `/b/${id}`, `/b/${id}`]);
    const stored = await store.get(id);
    expect(stored?.status).toBe('done');
    expect(stored?.attempts).toBe(2);
    expect(stored?.outcomes.find((outcome) => outcome.target === 'b')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('records a refused action as failed without retrying, the others as sent: partial', async () => {
    const id = await storeDelivery();
    downstream.answerNext({ status: 200 }, { status: 404, body: 'no such channel' });
    const result = await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    expect(result.kind).toBe('finished');
    const stored = await store.get(id);
    expect(stored?.status).toBe('partial');
    expect(stored?.outcomes[1]).toMatchObject({ status: 'failed', retryable: false, error: 'echo answered 404: no such channel' });
  });

  it('gives up after the last attempt: failed, and the message fails so SQS dead-letters it', async () => {
    const id = await storeDelivery();
    downstream.setDefault({ status: 500 });
    const result = await processDelivery({ v: 1, deliveryId: id }, 3, deps);
    expect(result).toMatchObject({ kind: 'retry', status: 'failed' });
    const stored = await store.get(id);
    expect(stored?.status).toBe('failed');
    expect(stored?.statusReason).toBe('gave up after 3 attempts: echo answered 500');
  });

  it('does not repeat a sent effect when recording it fails: the claim stays held', async () => {
    const id = await storeDelivery();
    const real = deps.effects;
    // DynamoDB refuses every write that records a completed effect during this attempt.
    const failingComplete = {
      ...real,
      claim: real.claim.bind(real),
      release: real.release.bind(real),
      complete: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    await processDelivery({ v: 1, deliveryId: id }, 1, { ...deps, effects: failingComplete });
    expect(downstream.requests).toHaveLength(2);
    const retry = await processDelivery({ v: 1, deliveryId: id, replay: true }, 2, deps);
    expect(downstream.requests).toHaveLength(2);
    expect(retry).toMatchObject({ kind: 'retry' });
  });

  it('passes Retry-After on as the retry delay', async () => {
    const id = await storeDelivery();
    downstream.answerNext({ status: 429, headers: { 'retry-after': '42' } });
    const result = await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    expect(result).toMatchObject({ kind: 'retry', retryAfterMs: 42_000 });
  });

  it('records a delivery no planner acts on as ignored with the reason', async () => {
    const id = await storeDelivery('queued', 'tag_push');
    expect(await processDelivery({ v: 1, deliveryId: id }, 1, deps)).toEqual({ kind: 'finished', status: 'ignored', outcomes: [] });
    expect((await store.get(id))?.statusReason).toBe('no action configured for tag_push');
  });

  it('a planner that throws fails that delivery, retryably unless the payload is at fault', async () => {
    const throwing: Planner = {
      name: 'broken',
      events: {
        pipeline: on(z.unknown(), async () => {
          throw new Error('state store timed out');
        }),
      },
    };
    const id = await storeDelivery();
    const result = await processDelivery({ v: 1, deliveryId: id }, 1, { ...deps, planners: [throwing, echoPlanner] });
    expect(result).toMatchObject({ kind: 'retry', error: 'state store timed out' });
    expect((await store.get(id))?.outcomes[0]).toMatchObject({ key: 'plan:broken', status: 'failed', retryable: true });
  });

  it('runs an action with `after` only when one of the actions it follows acted, now or in an earlier attempt', async () => {
    // `stay` decides at run time not to act; `move` acts (echo, which fails once below); `link`
    // follows either; `note` follows only `stay`.
    const following: Planner = {
      name: 'following',
      events: {
        pipeline: on(z.unknown(), (_event, { delivery }) => {
          const key = (name: string) => `follow:${name}:${delivery.id}`;
          const action = (name: string, run: () => Promise<{ result?: Record<string, string>; skipped?: string }>) => ({
            key: key(name),
            kind: 'echo',
            target: name,
            summary: `echo ${name}`,
            run,
          });
          return [
            action('stay', async () => ({ skipped: 'already there' })),
            action('move', () => post(`/move/${delivery.id}`)),
            { ...action('link', () => post(`/link/${delivery.id}`)), after: { keys: [key('stay'), key('move')], otherwise: 'nothing moved' } },
            { ...action('note', () => post(`/note/${delivery.id}`)), after: { keys: [key('stay')], otherwise: 'nothing moved' } },
          ];
        }),
      },
    };
    const withFollowing = { ...deps, planners: [following] };
    const id = await storeDelivery();
    downstream.answerNext({ status: 503 });
    const first = await processDelivery({ v: 1, deliveryId: id }, 1, withFollowing);
    expect(first.kind === 'retry' && first.outcomes.map((outcome) => [outcome.target, outcome.status, outcome.reason])).toEqual([
      ['stay', 'skipped', 'already there'],
      ['move', 'failed', undefined],
      ['link', 'skipped', 'nothing moved: already there; echo answered 503'],
      ['note', 'skipped', 'nothing moved: already there'],
    ]);

    const second = await processDelivery({ v: 1, deliveryId: id }, 2, withFollowing);
    expect(second.kind === 'finished' && second.outcomes.map((outcome) => [outcome.target, outcome.status])).toEqual([
      ['stay', 'skipped'],
      ['move', 'sent'],
      ['link', 'sent'],
      ['note', 'skipped'],
    ]);
    // A replay: `move` is done with a result in the ledger, so `link` is claimed (already sent), not skipped for `after`.
    const replay = await processDelivery({ v: 1, deliveryId: id, replay: true }, 1, withFollowing);
    expect(replay.kind === 'finished' && replay.outcomes.map((outcome) => [outcome.target, outcome.reason])).toEqual([
      ['stay', expect.stringMatching(/^already sent/)],
      ['move', expect.stringMatching(/^already sent/)],
      ['link', expect.stringMatching(/^already sent/)],
      ['note', expect.stringMatching(/^nothing moved: already sent/)],
    ]);
    expect(downstream.requests.map((request) => request.path)).toEqual([`/move/${id}`, `/move/${id}`, `/link/${id}`]);
  });

  it('hands an action with `after` the results of the actions it follows, from this attempt or from the ledger', async () => {
    const seen: Array<Record<string, Record<string, string>>> = [];
    const threaded: Planner = {
      name: 'threaded',
      events: {
        pipeline: on(z.unknown(), (_event, { delivery }) => {
          const parent = `thread:parent:${delivery.id}`;
          return [
            { key: parent, kind: 'echo', target: 'parent', summary: 'parent', run: async () => ({ result: { ts: '171.5' } }) },
            {
              key: `thread:reply:${delivery.id}`,
              kind: 'echo',
              target: 'reply',
              summary: 'reply',
              after: { keys: [parent], otherwise: 'no parent' },
              run: async (followed?: ReadonlyMap<string, Record<string, string>>) => {
                seen.push(Object.fromEntries(followed ?? []));
                return post(`/reply/${delivery.id}`);
              },
            },
          ];
        }),
      },
    };
    const id = await storeDelivery();
    downstream.answerNext({ status: 503 });
    const first = await processDelivery({ v: 1, deliveryId: id }, 1, { ...deps, planners: [threaded] });
    expect(first.kind).toBe('retry');
    const second = await processDelivery({ v: 1, deliveryId: id }, 2, { ...deps, planners: [threaded] });
    expect(second.kind).toBe('finished');
    // The first attempt read the parent's result as it ran, the retry from the effect ledger.
    expect(seen).toEqual([{ [`thread:parent:${id}`]: { ts: '171.5' } }, { [`thread:parent:${id}`]: { ts: '171.5' } }]);
  });

  it('retries an action that waits for a retry only when the delivery is retried anyway, else records its skip', async () => {
    const posted = new Set<string>();
    const waiting = (needsParent: boolean): Planner => ({
      name: 'waiting',
      events: {
        pipeline: on(z.unknown(), (_event, { delivery }) => [
          {
            key: `wait:parent:${delivery.id}`,
            kind: 'echo',
            target: 'parent',
            summary: 'parent',
            run: async () => {
              const sent = await post(`/parent/${delivery.id}`);
              if (needsParent) posted.add(delivery.id);
              return sent;
            },
          },
          {
            key: `wait:reply:${delivery.id}`,
            kind: 'echo',
            target: 'reply',
            summary: 'reply',
            run: async () => {
              if (!posted.has(delivery.id)) throw new WaitsForRetry('no parent yet', 'no parent to reply under');
              return post(`/reply/${delivery.id}`);
            },
          },
        ]),
      },
    });
    // The parent failed (503): the delivery is retried, and the reply with it.
    const retried = await storeDelivery();
    downstream.answerNext({ status: 503 });
    expect((await processDelivery({ v: 1, deliveryId: retried }, 1, { ...deps, planners: [waiting(true)] })).kind).toBe('retry');
    expect((await store.get(retried))?.outcomes[1]).toMatchObject({ status: 'failed', retryable: true, error: 'no parent yet' });
    expect(await processDelivery({ v: 1, deliveryId: retried }, 2, { ...deps, planners: [waiting(true)] })).toMatchObject({ kind: 'finished', status: 'done' });
    expect(downstream.requests.filter((request) => request.path === `/reply/${retried}`)).toHaveLength(1);

    // Nothing else failed: nothing to wait for, the reply is skipped and the delivery done.
    const alone = await storeDelivery();
    expect(await processDelivery({ v: 1, deliveryId: alone }, 1, { ...deps, planners: [waiting(false)] })).toMatchObject({ kind: 'finished', status: 'done' });
    expect((await store.get(alone))?.outcomes[1]).toMatchObject({ status: 'skipped', reason: 'no parent to reply under' });
  });
});

describe('the authenticated project', () => {
  // The pipeline fixture is project 1, gitlab-org/gitlab-test.
  it.each([
    ['another path', { path: 'acme/secure' }, 'payload project gitlab-org/gitlab-test is not the authenticated project acme/secure'],
    ['the same path with another id', { path: 'gitlab-org/gitlab-test', id: 99 }, 'payload project id 1 is not the authenticated project id 99'],
  ])('refuses a payload naming %s: failed, no retry, no effects', async (_case, authProject, reason) => {
    const id = await storeDelivery('queued', 'pipeline', authProject);
    const result = await processDelivery({ v: 1, deliveryId: id }, 1, deps);
    expect(result).toEqual({ kind: 'finished', status: 'failed', outcomes: [] });
    expect(downstream.requests).toEqual([]);
    expect(await store.get(id)).toMatchObject({ status: 'failed', statusReason: `refused: ${reason}`, attempts: 1 });
  });

  it('runs a payload of the authenticated project, whatever the case of its path', async () => {
    const id = await storeDelivery('queued', 'pipeline', { path: 'GitLab-Org/GitLab-Test', id: 1 });
    expect((await processDelivery({ v: 1, deliveryId: id }, 1, deps)).kind).toBe('finished');
    expect((await store.get(id))?.status).toBe('done');
    expect(downstream.requests).toHaveLength(2);
  });
});

describe('createSqsBatchHandler', () => {
  it('fails only the record whose delivery failed; the others in the batch succeed', async () => {
    const ok1 = await storeDelivery();
    const bad = await storeDelivery();
    const ok2 = await storeDelivery();
    const throwing: Planner = {
      name: 'picky',
      events: {
        pipeline: on(z.unknown(), async (_event, { delivery }) => {
          if (delivery.id === bad) throw new Error('boom');
          return [];
        }),
      },
    };
    const handler = createSqsBatchHandler({ ...deps, planners: [throwing] });
    const event: SQSEvent = { Records: [sqsRecord(ok1), sqsRecord(bad), sqsRecord(ok2), sqsRecord('unknown-id')] };
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: `m-${bad}` }] });
    expect((await store.get(ok1))?.status).toBe('done');
    expect((await store.get(ok2))?.status).toBe('done');
    expect((await store.get(bad))?.status).toBe('processing');
  });

  it('writes one line per delivery of a batch, a retried one included: its counts and its summary in one flush', async () => {
    const ok = await storeDelivery();
    const failing = await storeDelivery();
    // In order: the first delivery's two actions succeed, the second's first is unavailable.
    downstream.answerNext({ status: 200 }, { status: 200 }, { status: 503 });
    /** What each flush would write: the counts since the last flush and the summary fields. */
    const lines: { counts: string[]; fields: Record<string, unknown> }[] = [];
    let counts: string[] = [];
    let fields: Record<string, unknown> = {};
    const handler = createSqsBatchHandler({
      ...deps,
      metrics: {
        count: (name) => counts.push(name),
        timing: (name) => counts.push(name),
        describe: (more) => (fields = { ...fields, ...more }),
        flush: () => {
          lines.push({ counts, fields });
          counts = [];
          fields = {};
        },
      },
    });
    const result = await handler({ Records: [sqsRecord(ok), sqsRecord(failing, 2)] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: `m-${failing}` }] });
    expect(lines).toEqual([
      {
        counts: ['processed', 'DeliveryLatency'],
        fields: expect.objectContaining({
          deliveryId: ok,
          event: 'Pipeline Hook',
          project: 'gitlab-org/gitlab-test',
          status: 'done',
          outcomes: { sent: 2 },
          latencyMs: expect.any(Number),
          ms: expect.any(Number),
        }),
      },
      {
        counts: ['retried'],
        fields: expect.objectContaining({
          deliveryId: failing,
          attempt: 2,
          status: 'processing',
          retrying: true,
          outcomes: expect.objectContaining({ failed: 1 }),
        }),
      },
    ]);
  });

  it("measures a recovered delivery's latency from when recovery recorded it, not from GitLab's original attempt", async () => {
    const recordedAt = new Date(Date.now() - 2_000).toISOString();
    const id = await storeDelivery('queued', 'pipeline', undefined, {
      receivedAt: new Date(Date.now() - 6 * 3_600_000).toISOString(),
      recovered: { hookId: 1, hookEventId: 99, at: recordedAt },
    });
    const latencies: number[] = [];
    await processDelivery({ v: 1, deliveryId: id }, 1, { ...deps, metrics: { count: () => {}, timing: (_name, ms) => latencies.push(ms) } });
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toBeGreaterThanOrEqual(2_000);
    expect(latencies[0]).toBeLessThan(3_600_000);
  });

  it('drops a message that is not a bridge message instead of cycling it', async () => {
    const handler = createSqsBatchHandler(deps);
    const record = { ...sqsRecord('x'), body: 'not json' };
    expect(await handler({ Records: [record] })).toEqual({ batchItemFailures: [] });
  });

  describe('with SQS', () => {
    let sqs: LocalSqs;
    beforeAll(async () => {
      sqs = await startTestQueues({ visibilityTimeoutSeconds: 1, queueName: 'visibility-test' });
    });
    afterAll(async () => sqs.close());

    it('holds a rate-limited delivery back for Retry-After instead of the queue default', async () => {
      const id = await storeDelivery();
      await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: JSON.stringify({ v: 1, deliveryId: id }) }));
      const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, WaitTimeSeconds: 1 }));
      const message = received.Messages?.[0];
      expect(message).toBeDefined();
      downstream.answerNext({ status: 429, headers: { 'retry-after': '120' } });
      const handler = createSqsBatchHandler(deps, new SqsVisibility(sqs.client, sqs.queueUrl));
      const response = await handler({ Records: [{ ...sqsRecord(id, 1, message?.ReceiptHandle ?? ''), messageId: message?.MessageId ?? '' }] });
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: message?.MessageId }]);
      // The queue's own visibility timeout is 1 s; the message must stay hidden past it. A long
      // poll returns as soon as a message becomes visible, so this waits on that, up to 2 s.
      const again = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, WaitTimeSeconds: 2 }));
      expect(again.Messages ?? []).toEqual([]);
    });
  });
});
