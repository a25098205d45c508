import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { DeliveryStore } from '../../lib/deliveries/store.js';
import { JobEventSchema, MergeRequestEventSchema, PipelineEventSchema, PushEventSchema } from '../../lib/gitlab/schemas.js';
import { parseWebhookAuth } from '../../lib/gitlab/webhook-auth.js';
import type { LocalSqs } from '../../lib/local/sqs-server.js';
import { SqsDeliveryQueue } from '../../lib/queue/sqs-queue.js';
import { handleWebhook, type ReceiverDeps, type WebhookRequest } from '../../lib/receiver/handle-webhook.js';
import { allFixtures, FIXTURES, gitlabHeaders, readFixture } from '../support/gitlab-fixtures.js';
import { startTestQueues, startTestTable } from '../support/local-aws.js';

const OLD_TOKEN = 'old-token-7f3a';
const NEW_TOKEN = 'new-token-91bc';
const NOW = new Date('2026-11-25T10:00:00.000Z');

let table: Awaited<ReturnType<typeof startTestTable>>;
let sqs: LocalSqs;
let store: DeliveryStore;
let deps: ReceiverDeps;
const counted: string[] = [];

beforeAll(async () => {
  table = await startTestTable();
  sqs = await startTestQueues();
  store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
  deps = {
    deliveries: store,
    queue: new SqsDeliveryQueue(sqs.client, sqs.queueUrl),
    auth: async () => parseWebhookAuth(JSON.stringify([OLD_TOKEN, NEW_TOKEN])),
    now: () => NOW,
    metrics: { count: (name) => counted.push(name) },
  };
});

afterAll(async () => {
  await sqs.close();
  await table.close();
});

function request(payload: unknown, headers: Record<string, string>): WebhookRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { method: 'POST', headers, body: Buffer.from(body, 'utf8') };
}

async function queuedIds(): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const received = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
    );
    if (!received.Messages?.length) return ids;
    ids.push(...received.Messages.map((message) => (JSON.parse(message.Body ?? '{}') as { deliveryId: string }).deliveryId));
  }
}

const pipeline = readFixture('pipeline--success.json');

describe('handleWebhook answers', () => {
  it('202 with the delivery id, and queues it, for a handled event', async () => {
    const headers = gitlabHeaders('Pipeline Hook', NEW_TOKEN);
    const response = await handleWebhook(request(pipeline, headers), deps);
    expect(response).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'queued' } });
    expect(await queuedIds()).toEqual([headers['idempotency-key']]);
  });

  it('401 for a wrong token and writes nothing', async () => {
    const headers = gitlabHeaders('Pipeline Hook', 'not-the-token');
    const before = counted.filter((name) => name === 'rejected').length;
    const response = await handleWebhook(request(pipeline, headers), deps);
    expect(response.statusCode).toBe(401);
    expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
    expect(counted.filter((name) => name === 'rejected').length).toBe(before + 1);
  });

  it('401 for a missing token', async () => {
    const { 'x-gitlab-token': _token, ...headers } = gitlabHeaders('Pipeline Hook', '');
    expect((await handleWebhook(request(pipeline, headers), deps)).statusCode).toBe(401);
  });

  it('401 when no token is configured at all (fails closed)', async () => {
    const response = await handleWebhook(request(pipeline, gitlabHeaders('Pipeline Hook', 'anything')), { ...deps, auth: async () => parseWebhookAuth('') });
    expect(response.statusCode).toBe(401);
  });

  it('accepts both the old and the new token during rotation', async () => {
    for (const token of [OLD_TOKEN, NEW_TOKEN]) {
      const response = await handleWebhook(request(pipeline, gitlabHeaders('Pipeline Hook', token)), deps);
      expect(response.statusCode).toBe(202);
    }
    await queuedIds();
  });

  it('400 for a body that is not JSON', async () => {
    const response = await handleWebhook(request('{"object_kind": "push"', gitlabHeaders('Push Hook', NEW_TOKEN)), deps);
    expect(response).toEqual({ statusCode: 400, body: { error: 'body is not valid JSON' } });
  });

  it.each([['[1,2]'], ['"text"'], ['42'], ['null']])('400 for JSON that is not an object: %s', async (body) => {
    const response = await handleWebhook(request(body, gitlabHeaders('Push Hook', NEW_TOKEN)), deps);
    expect(response).toEqual({ statusCode: 400, body: { error: 'body must be a JSON object' } });
  });

  it('400 without X-Gitlab-Event', async () => {
    const { 'x-gitlab-event': _event, ...headers } = gitlabHeaders('Push Hook', NEW_TOKEN);
    expect((await handleWebhook(request(pipeline, headers), deps)).statusCode).toBe(400);
  });

  it('415 for a content type other than JSON', async () => {
    const response = await handleWebhook(
      request(pipeline, gitlabHeaders('Pipeline Hook', NEW_TOKEN, { 'content-type': 'application/x-www-form-urlencoded' })),
      deps,
    );
    expect(response.statusCode).toBe(415);
  });

  it('accepts a JSON content type with a charset parameter', async () => {
    const response = await handleWebhook(
      request(pipeline, gitlabHeaders('Pipeline Hook', NEW_TOKEN, { 'content-type': 'application/json; charset=utf-8' })),
      deps,
    );
    expect(response.statusCode).toBe(202);
    await queuedIds();
  });

  it('413 for a body over the limit, before reading it', async () => {
    const response = await handleWebhook(request({ ...pipeline, padding: 'x'.repeat(2048) }, gitlabHeaders('Pipeline Hook', NEW_TOKEN)), {
      ...deps,
      maxBodyBytes: 1024,
    });
    expect(response.statusCode).toBe(413);
  });

  it('413, not 5xx, for a body that fits the limit but cannot be stored even compressed (bytes, not characters, count)', async () => {
    // 240,000 random CJK characters: 720 KB of UTF-8 that Brotli cannot bring under the 350 KB
    // a record may hold, though the text is shorter than that in characters.
    const noise = randomBytes(2 * 240_000);
    const text = Array.from({ length: 240_000 }, (_, i) => String.fromCharCode(0x4e00 + (noise.readUInt16LE(2 * i) % 20_000))).join('');
    const response = await handleWebhook(request({ ...pipeline, padding: text }, gitlabHeaders('Pipeline Hook', NEW_TOKEN)), deps);
    expect(response).toEqual({ statusCode: 413, body: { error: 'payload too large to store even compressed' } });
  });

  it('400 for a project path longer than any GitLab path, which DynamoDB could not index', async () => {
    const project = { ...(pipeline.project as Record<string, unknown>), path_with_namespace: `acme/${'a'.repeat(1100)}` };
    const response = await handleWebhook(request({ ...pipeline, project }, gitlabHeaders('Pipeline Hook', NEW_TOKEN)), deps);
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toMatch(/project path/);
  });

  it('405 for a method other than POST', async () => {
    const response = await handleWebhook({ ...request(pipeline, gitlabHeaders('Pipeline Hook', NEW_TOKEN)), method: 'GET' }, deps);
    expect(response.statusCode).toBe(405);
  });

  it('202 and records an event it does not handle as ignored, without queueing it', async () => {
    const headers = gitlabHeaders('Member Hook', NEW_TOKEN);
    const response = await handleWebhook(request(readFixture('member--add-to-group.json'), headers), deps);
    expect(response).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'ignored' } });
    const stored = await store.get(headers['idempotency-key'] ?? '');
    expect(stored?.status).toBe('ignored');
    expect(stored?.statusReason).toBe('event not handled: Member Hook (user_add_to_group)');
    expect(await queuedIds()).toEqual([]);
  });

  it.each(['created', 'pending', 'running', 'failed', 'canceled'])(
    '202 and records a job event with build_status %j as ignored, without queueing it (only a success can mark a flaky job)',
    async (buildStatus) => {
      const headers = gitlabHeaders('Job Hook', NEW_TOKEN);
      const job = { ...readFixture('build--created.json'), build_status: buildStatus };
      const response = await handleWebhook(request(job, headers), deps);
      expect(response).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'ignored' } });
      const stored = await store.get(headers['idempotency-key'] ?? '');
      expect(stored?.status).toBe('ignored');
      expect(stored?.statusReason).toBe(`job ${buildStatus}: only finished successful jobs can mark a flaky job`);
      expect(await queuedIds()).toEqual([]);
    },
  );

  it('queues a job event whose build_status is success', async () => {
    const headers = gitlabHeaders('Job Hook', NEW_TOKEN);
    const job = { ...readFixture('build--created.json'), build_status: 'success' };
    const response = await handleWebhook(request(job, headers), deps);
    expect(response).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'queued' } });
    expect((await store.get(headers['idempotency-key'] ?? ''))?.status).toBe('queued');
    expect(await queuedIds()).toEqual([headers['idempotency-key']]);
  });

  it("keeps a job event's odd status out of the record's reason as control characters", async () => {
    const headers = gitlabHeaders('Job Hook', NEW_TOKEN);
    const job = { ...readFixture('build--created.json'), build_status: 'run\nning\u001b[31m' };
    expect((await handleWebhook(request(job, headers), deps)).statusCode).toBe(202);
    expect((await store.get(headers['idempotency-key'] ?? ''))?.statusReason).toBe('job run?ning?[31m: only finished successful jobs can mark a flaky job');
    expect(await queuedIds()).toEqual([]);
  });

  it('503 when the delivery cannot be made durable', async () => {
    const broken = new DynamoDbDeliveryStore({ client: table.client, tableName: 'no-such-table' });
    const response = await handleWebhook(request(pipeline, gitlabHeaders('Pipeline Hook', NEW_TOKEN)), { ...deps, deliveries: broken });
    expect(response.statusCode).toBe(503);
  });

  it('503 when the queue refuses, and queues it when the delivery is resent', async () => {
    const headers = gitlabHeaders('Pipeline Hook', NEW_TOKEN);
    const broken = new SqsDeliveryQueue(sqs.client, `${sqs.queueUrl}-missing`);
    expect((await handleWebhook(request(pipeline, headers), { ...deps, queue: broken })).statusCode).toBe(503);
    expect((await store.get(headers['idempotency-key'] ?? ''))?.status).toBe('queued');
    const retried = await handleWebhook(request(pipeline, headers), deps);
    expect(retried).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'queued', duplicate: true, requeued: true } });
    expect(await queuedIds()).toEqual([headers['idempotency-key']]);
  });
});

describe("a hook's custom webhook template output", () => {
  // GitLab sends the rendered template, with the usual headers, in place of the event payload.
  const rendered = { text: 'push to group/app by root', kind: 'push' };

  it('is recorded ignored with the reason, answered 202 and not queued', async () => {
    const headers = gitlabHeaders('Push Hook', NEW_TOKEN);
    const before = counted.filter((name) => name === 'ignored').length;
    const response = await handleWebhook(request(rendered, headers), deps);
    expect(response).toEqual({ statusCode: 202, body: { deliveryId: headers['idempotency-key'], status: 'ignored' } });
    const stored = await store.get(headers['idempotency-key'] ?? '');
    expect(stored).toMatchObject({
      status: 'ignored',
      statusReason: "custom webhook template: the body is not GitLab's event payload (it has no object_kind or event_name)",
      event: 'Push Hook',
      payload: JSON.stringify(rendered),
    });
    expect(counted.filter((name) => name === 'ignored').length).toBe(before + 1);
    expect(await queuedIds()).toEqual([]);
  });

  it('is not queued when it copies a handled kind that does not fit the header', async () => {
    const headers = gitlabHeaders('Merge Request Hook', NEW_TOKEN);
    const response = await handleWebhook(request({ object_kind: 'push', title: 'Draft: fix' }, headers), deps);
    expect(response.body.status).toBe('ignored');
    expect((await store.get(headers['idempotency-key'] ?? ''))?.statusReason).toBe(
      'custom webhook template: the body is not GitLab\'s event payload (object_kind "push" does not fit X-Gitlab-Event "Merge Request Hook")',
    );
    expect(await queuedIds()).toEqual([]);
  });

  it('is refused like any request without a valid token, and leaves no record', async () => {
    const headers = gitlabHeaders('Push Hook', 'not-the-token');
    expect((await handleWebhook(request(rendered, headers), deps)).statusCode).toBe(401);
    expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
  });
});

describe('the delivery record', () => {
  it('holds what an operator needs, with the token redacted', async () => {
    const headers = gitlabHeaders('Pipeline Hook', NEW_TOKEN);
    const body = JSON.stringify(pipeline);
    await handleWebhook(request(body, headers), deps);
    await queuedIds();
    const stored = await store.get(headers['idempotency-key'] ?? '');
    expect(stored).toMatchObject({
      id: headers['idempotency-key'],
      receivedAt: NOW.toISOString(),
      event: 'Pipeline Hook',
      objectKind: 'pipeline',
      projectId: 1,
      projectPath: 'gitlab-org/gitlab-test',
      ref: 'master',
      status: 'queued',
      attempts: 0,
      outcomes: [],
      expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 86_400,
      payload: body,
    });
    expect(stored?.headers['x-gitlab-token']).toBe('[REDACTED]');
    expect(stored?.headers['x-gitlab-event-uuid']).toBe(headers['x-gitlab-event-uuid']);
  });

  it('never stores the token anywhere in the item', async () => {
    const headers = gitlabHeaders('Push Hook', NEW_TOKEN);
    await handleWebhook(request(readFixture('push--basic.json'), headers), deps);
    await queuedIds();
    const raw = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `D#${headers['idempotency-key']}` } } }));
    const { decodeBody } = await import('../../lib/deliveries/body-codec.js');
    const text = JSON.stringify(raw.Item) + JSON.stringify(decodeBody(raw.Item?.body?.B ?? new Uint8Array()));
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(NEW_TOKEN);
  });

  it('stores the payload compressed', async () => {
    const headers = gitlabHeaders('Merge Request Hook', NEW_TOKEN);
    const body = JSON.stringify(readFixture('merge_request--open.json'));
    await handleWebhook(request(body, headers), deps);
    await queuedIds();
    const raw = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `D#${headers['idempotency-key']}` } } }));
    expect(raw.Item?.body?.B?.byteLength).toBeLessThan(body.length / 2);
  });

  it('keeps the retention configured', async () => {
    const headers = gitlabHeaders('Push Hook', NEW_TOKEN);
    await handleWebhook(request(readFixture('push--basic.json'), headers), { ...deps, retentionDays: 7 });
    await queuedIds();
    expect((await store.get(headers['idempotency-key'] ?? ''))?.expiresAt).toBe(Math.floor(NOW.getTime() / 1000) + 7 * 86_400);
  });

  it('falls back to webhook-id when there is no Idempotency-Key', async () => {
    const { 'idempotency-key': _key, ...headers } = gitlabHeaders('Push Hook', NEW_TOKEN, { 'webhook-id': 'msg_2b6a7e4e' });
    const response = await handleWebhook(request(readFixture('push--basic.json'), headers), deps);
    expect(response.body.deliveryId).toBe('msg_2b6a7e4e');
    await queuedIds();
  });

  it('without Idempotency-Key or webhook-id, tells apart events that share an X-Gitlab-Event-UUID (one chain of webhooks)', async () => {
    // GitLab gives every webhook triggered by one chain the same Event-UUID.
    const shared = { 'x-gitlab-event-uuid': 'evt-shared-chain-1' };
    const first = gitlabHeaders('Push Hook', NEW_TOKEN, shared);
    const second = gitlabHeaders('Pipeline Hook', NEW_TOKEN, shared);
    delete first['idempotency-key'];
    delete second['idempotency-key'];
    const a = await handleWebhook(request(readFixture('push--basic.json'), first), deps);
    const b = await handleWebhook(request(pipeline, second), deps);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.body.deliveryId).not.toBe(b.body.deliveryId);
    expect((await store.get(String(a.body.deliveryId)))?.objectKind).toBe('push');
    expect((await store.get(String(b.body.deliveryId)))?.objectKind).toBe('pipeline');
    // The id is derived from the Event-UUID and the body, so a resend of the same body dedupes.
    const resent = await handleWebhook(request(readFixture('push--basic.json'), first), deps);
    expect(resent.body).toMatchObject({ deliveryId: a.body.deliveryId, duplicate: true });
    await queuedIds();
  });

  it('keys a signed delivery on its signed webhook-id, so a replayed capture under a new Idempotency-Key is a duplicate', async () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const signedDeps = { ...deps, auth: async () => parseWebhookAuth(JSON.stringify({ signingKeys: [key], requireSignature: true })) };
    const body = JSON.stringify(readFixture('push--basic.json'));
    const signature = new Webhook(key).sign('msg_signed_1', NOW, body);
    const signedHeaders = (idempotencyKey: string) =>
      gitlabHeaders('Push Hook', '', {
        'idempotency-key': idempotencyKey,
        'webhook-id': 'msg_signed_1',
        'webhook-timestamp': String(Math.floor(NOW.getTime() / 1000)),
        'webhook-signature': signature,
      });
    const first = await handleWebhook(request(body, signedHeaders('msg_signed_1')), signedDeps);
    expect(first).toMatchObject({ statusCode: 202, body: { deliveryId: 'msg_signed_1' } });
    const replayed = await handleWebhook(request(body, signedHeaders('attacker-chosen-key')), signedDeps);
    expect(replayed.body).toMatchObject({ deliveryId: 'msg_signed_1', duplicate: true });
    expect(await store.get('attacker-chosen-key')).toBeUndefined();
    await queuedIds();
  });

  it('stores only the headers GitLab documents, so a secret in a custom header is never kept', async () => {
    const headers = gitlabHeaders('Push Hook', NEW_TOKEN, {
      'x-custom-auth': 'custom-header-secret-5e1f',
      authorization: 'Bearer another-secret-77aa',
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1764064800',
      'webhook-signature': 'v1,c2lnbmF0dXJl',
    });
    await handleWebhook(request(readFixture('push--basic.json'), headers), deps);
    await queuedIds();
    const stored = await store.get(headers['idempotency-key'] ?? '');
    expect(Object.keys(stored?.headers ?? {}).sort()).toEqual([
      'content-type',
      'idempotency-key',
      'user-agent',
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
      'x-gitlab-event',
      'x-gitlab-event-uuid',
      'x-gitlab-instance',
      'x-gitlab-token',
      'x-gitlab-webhook-uuid',
    ]);
    expect(stored?.headers['webhook-signature']).toBe('[REDACTED]');
    expect(JSON.stringify(stored)).not.toMatch(/custom-header-secret|another-secret/);
  });
});

describe('per-project auth', () => {
  const GLOBAL = 'global-token-3c9d';
  const OWN = 'own-token-b71e';
  const perProject = parseWebhookAuth(
    JSON.stringify({
      tokens: [GLOBAL],
      projects: { 'Gitlab-Org/Gitlab-Test': { requireSignature: true }, 'acme/own': { id: 42, tokens: [OWN] } },
    }),
  );
  const withProject = (path: string, id = 1) => ({ ...pipeline, project: { ...(pipeline.project as object), path_with_namespace: path, id } });
  const projectDeps = () => ({ ...deps, auth: async () => perProject });

  it.each([['gitlab-org/gitlab-test'], ['GITLAB-ORG/gitlab-test'], ['Gitlab-Org/Gitlab-Test']])(
    "applies the project's rule to the path spelled %s (the global token is not enough)",
    async (path) => {
      const headers = gitlabHeaders('Pipeline Hook', GLOBAL);
      expect((await handleWebhook(request(withProject(path), headers), projectDeps())).statusCode).toBe(401);
      expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
    },
  );

  it.each([['__proto__'], ['constructor']])('answers 401, never a 5xx or a throw, for project path %s', async (path) => {
    for (const token of ['', 'wrong-token']) {
      const response = await handleWebhook(request(withProject(path), gitlabHeaders('Pipeline Hook', token)), projectDeps());
      expect(response.statusCode).toBe(401);
    }
  });

  it('refuses a token no entry knows before parsing: a body that is not JSON gets 401, not 400', async () => {
    const response = await handleWebhook(request('[[[[[[[[not json', gitlabHeaders('Push Hook', 'wrong-token')), projectDeps());
    expect(response.statusCode).toBe(401);
  });

  it("refuses a project's path paired with another project id when the secret records the id", async () => {
    const headers = gitlabHeaders('Pipeline Hook', OWN);
    expect((await handleWebhook(request(withProject('acme/own', 7), headers), projectDeps())).statusCode).toBe(401);
    expect(await store.get(headers['idempotency-key'] ?? '')).toBeUndefined();
  });

  it('records the authenticated project on the delivery: normalised path, and id when the secret has one', async () => {
    const own = gitlabHeaders('Pipeline Hook', OWN);
    expect((await handleWebhook(request(withProject('ACME/Own', 42), own), projectDeps())).statusCode).toBe(202);
    expect((await store.get(own['idempotency-key'] ?? ''))?.authProject).toEqual({ path: 'acme/own', id: 42 });
    const other = gitlabHeaders('Pipeline Hook', GLOBAL);
    expect((await handleWebhook(request(withProject('Acme/Other', 5), other), projectDeps())).statusCode).toBe(202);
    expect((await store.get(other['idempotency-key'] ?? ''))?.authProject).toEqual({ path: 'acme/other' });
    await queuedIds();
  });

  it('logs a rejected X-Gitlab-Event shortened and without control characters', async () => {
    const warnings: Record<string, unknown>[] = [];
    const log = { info: () => {}, error: () => {}, warn: (_message: string, extra?: Record<string, unknown>) => warnings.push(extra ?? {}) };
    const event = `Push Hook\u001b[2J\r\n${'A'.repeat(5000)}`;
    await handleWebhook(request(pipeline, gitlabHeaders(event, 'wrong-token')), { ...deps, log });
    const logged = String(warnings[0]?.event);
    expect(logged.length).toBeLessThanOrEqual(100);
    expect(logged).toMatch(/^Push Hook/);
    expect(logged).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});

describe('deduplication', () => {
  it('acknowledges a redelivery with 200 and does not queue it again once processed', async () => {
    const headers = gitlabHeaders('Pipeline Hook', NEW_TOKEN);
    await handleWebhook(request(pipeline, headers), deps);
    await queuedIds();
    const id = headers['idempotency-key'] ?? '';
    await store.finishAttempt(id, { status: 'done', outcomes: [], attempts: 1 });
    const again = await handleWebhook(request(pipeline, headers), deps);
    expect(again).toEqual({ statusCode: 200, body: { deliveryId: id, duplicate: true, status: 'done' } });
    expect(await queuedIds()).toEqual([]);
    expect((await store.get(id))?.attempts).toBe(1);
  });

  it('acknowledges a duplicate of an ignored event without queueing it', async () => {
    const headers = gitlabHeaders('Issue Hook', NEW_TOKEN);
    await handleWebhook(request(readFixture('issue--open.json'), headers), deps);
    const again = await handleWebhook(request(readFixture('issue--open.json'), headers), deps);
    expect(again.statusCode).toBe(200);
    expect(await queuedIds()).toEqual([]);
  });
});

describe('every event kind GitLab documents', () => {
  const handledSchemas: Record<string, { safeParse(value: unknown): { success: boolean } }> = {
    push: PushEventSchema,
    tag_push: PushEventSchema,
    merge_request: MergeRequestEventSchema,
    pipeline: PipelineEventSchema,
    build: JobEventSchema,
  };
  const fixtures = allFixtures();

  it("covers the kinds on GitLab's webhook events page", () => {
    const kinds = new Set(fixtures.map((fixture) => fixture.object_kind));
    for (const kind of [
      'push',
      'tag_push',
      'issue',
      'work_item',
      'note',
      'merge_request',
      'wiki_page',
      'pipeline',
      'build',
      'deployment',
      'feature_flag',
      'release',
      'milestone',
      'emoji',
      'access_token',
      'vulnerability',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('indexes every example in the fixtures folder, so the table below runs on all of them', () => {
    const onDisk = readdirSync(FIXTURES).filter((name) => name.endsWith('.json') && name !== 'INDEX.json');
    expect(onDisk.length).toBeGreaterThan(0);
    expect(fixtures.map((fixture) => fixture.file).sort()).toEqual(onDisk.sort());
  });

  it.each(fixtures.map((fixture) => [fixture.file, fixture] as const))('accepts %s', async (_file, fixture) => {
    const headers = gitlabHeaders(fixture.x_gitlab_event, OLD_TOKEN);
    const body = readFileSync(fixture.path, 'utf8');
    const response = await handleWebhook(request(body, headers), deps);
    expect(response.statusCode).toBe(202);
    const stored = await store.get(headers['idempotency-key'] ?? '');
    expect(stored?.event).toBe(fixture.x_gitlab_event);
    const handled = ['push', 'merge_request', 'pipeline', 'build'].includes(fixture.object_kind ?? '') && !fixture.file.includes('partial');
    if (fixture.object_kind) expect(stored?.objectKind).toBe(fixture.object_kind);
    const unfinishedJob = fixture.object_kind === 'build' && (JSON.parse(body) as { build_status?: string }).build_status !== 'success';
    if (handled && unfinishedJob) {
      expect(stored?.status).toBe('ignored');
      expect(handledSchemas.build?.safeParse(JSON.parse(body)).success).toBe(true);
    } else if (handled) {
      expect(stored?.status).toBe('queued');
      expect(handledSchemas[fixture.object_kind ?? '']?.safeParse(JSON.parse(body)).success).toBe(true);
    } else if (!['push', 'merge_request', 'pipeline', 'build'].includes(fixture.object_kind ?? '')) {
      expect(stored?.status).toBe('ignored');
    }
    await queuedIds();
  });

  it('parses the tag push examples with the push schema', () => {
    const tagPushes = fixtures.filter((entry) => entry.object_kind === 'tag_push');
    expect(tagPushes.map((fixture) => fixture.file).sort()).toEqual(['tag_push--create-v19.json', 'tag_push--create.json']);
    for (const fixture of tagPushes) {
      expect(handledSchemas.tag_push?.safeParse(JSON.parse(readFileSync(fixture.path, 'utf8'))).success).toBe(true);
    }
  });
});
