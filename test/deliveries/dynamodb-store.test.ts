import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { DeliveryStatus } from '../../lib/deliveries/record.js';
import type { NewDelivery } from '../../lib/deliveries/store.js';
import { startTestTable } from '../support/local-aws.js';

let table: Awaited<ReturnType<typeof startTestTable>>;
let store: DynamoDbDeliveryStore;

function delivery(id: string, minute: number, projectPath: string | null, status: DeliveryStatus): NewDelivery {
  return {
    id,
    receivedAt: new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString(),
    event: 'Push Hook',
    objectKind: 'push',
    projectId: projectPath ? 7 : null,
    projectPath,
    ref: 'main',
    headers: { 'x-gitlab-event': 'Push Hook' },
    payload: '{"object_kind":"push"}',
    status,
    expiresAt: 1_900_000_000,
  };
}

beforeAll(async () => {
  table = await startTestTable();
  store = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
  const rows: [string, number, string | null, DeliveryStatus][] = [
    ['d1', 1, 'acme/app', 'done'],
    ['d2', 2, 'acme/app', 'failed'],
    ['d3', 3, 'acme/web', 'done'],
    ['d4', 4, 'acme/app', 'ignored'],
    ['d5', 5, null, 'ignored'],
    ['d6', 6, 'acme/app', 'done'],
    ['d7', 7, 'acme/web', 'queued'],
  ];
  for (const [id, minute, project, status] of rows) await store.create(delivery(id, minute, project, status));
});

afterAll(async () => table.close());

const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

describe('DynamoDbDeliveryStore', () => {
  it('creates once and reports the existing record on a duplicate', async () => {
    expect(await store.create(delivery('dup', 9, 'acme/app', 'queued'))).toEqual({ created: true });
    const again = await store.create({ ...delivery('dup', 10, 'acme/other', 'queued') });
    expect(again).toMatchObject({ created: false, existing: { id: 'dup', projectPath: 'acme/app', status: 'queued' } });
    expect(await store.get('dup')).toMatchObject({ projectPath: 'acme/app', receivedAt: '2026-11-25T10:09:00.000Z' });
  });

  it('round-trips headers and payload through compression', async () => {
    expect(await store.get('d1')).toMatchObject({ headers: { 'x-gitlab-event': 'Push Hook' }, payload: '{"object_kind":"push"}', outcomes: [], attempts: 0 });
  });

  it('round-trips the authenticated project, with and without an id, and leaves it out when absent', async () => {
    await store.create({ ...delivery('auth-id', 11, 'acme/app', 'queued'), authProject: { path: 'acme/app', id: 42 } });
    await store.create({ ...delivery('auth-path', 12, 'acme/app', 'queued'), authProject: { path: 'acme/app' } });
    expect((await store.get('auth-id'))?.authProject).toEqual({ path: 'acme/app', id: 42 });
    expect((await store.get('auth-path'))?.authProject).toEqual({ path: 'acme/app' });
    expect(await store.get('d1')).not.toHaveProperty('authProject');
  });

  it('lists every delivery newest first', async () => {
    const page = await store.list({ limit: 100, before: '2026-11-25T10:08:00.000Z' });
    expect(ids(page)).toEqual(['d7', 'd6', 'd5', 'd4', 'd3', 'd2', 'd1']);
  });

  it('lists one project newest first', async () => {
    expect(ids(await store.list({ projectPath: 'acme/app', limit: 10, before: '2026-11-25T10:08:00.000Z' }))).toEqual(['d6', 'd4', 'd2', 'd1']);
  });

  it('lists by status, and a project by status', async () => {
    expect(ids(await store.list({ statuses: ['done'], limit: 10 }))).toEqual(['d6', 'd3', 'd1']);
    expect(ids(await store.list({ projectPath: 'acme/app', statuses: ['done', 'failed'], limit: 10 }))).toEqual(['d6', 'd2', 'd1']);
  });

  it('pages with the nextBefore cursor', async () => {
    const first = await store.list({ limit: 3, before: '2026-11-25T10:08:00.000Z' });
    expect(ids(first)).toEqual(['d7', 'd6', 'd5']);
    expect(first.nextBefore).toBe('2026-11-25T10:05:00.000Z');
    const second = await store.list({ limit: 3, before: first.nextBefore ?? '' });
    expect(ids(second)).toEqual(['d4', 'd3', 'd2']);
    const third = await store.list({ limit: 3, before: second.nextBefore ?? '' });
    expect(ids(third)).toEqual(['d1']);
    expect(third.nextBefore).toBeUndefined();
  });

  it('keeps deliveries received in the same millisecond on one page, so the cursor skips none', async () => {
    for (const id of ['same-a', 'same-b', 'same-c']) await store.create({ ...delivery(id, 40, 'acme/same', 'done'), receivedAt: '2026-11-25T10:40:00.000Z' });
    await store.create(delivery('same-older', 39, 'acme/same', 'done'));
    const first = await store.list({ projectPath: 'acme/same', limit: 2 });
    expect(ids(first)).toEqual(['same-c', 'same-b', 'same-a']);
    const second = await store.list({ projectPath: 'acme/same', limit: 2, before: first.nextBefore ?? '' });
    expect(ids(second)).toEqual(['same-older']);
  });

  it('filters by time', async () => {
    expect(ids(await store.list({ since: '2026-11-25T10:05:00.000Z', before: '2026-11-25T10:08:00.000Z', limit: 10 }))).toEqual(['d7', 'd6', 'd5']);
  });

  it('records an attempt and moves the record between status listings', async () => {
    await store.create(delivery('moving', 20, 'acme/move', 'queued'));
    await store.finishAttempt('moving', {
      status: 'partial',
      statusReason: 'jira refused',
      attempts: 1,
      outcomes: [{ key: 'k', kind: 'jira', target: 'ABC-1', summary: 's', status: 'failed', error: 'e', attempts: 1, at: 'now' }],
    });
    expect(await store.get('moving')).toMatchObject({ status: 'partial', statusReason: 'jira refused', attempts: 1, outcomes: [{ key: 'k' }] });
    expect(ids(await store.list({ statuses: ['partial'], limit: 10 }))).toContain('moving');
    expect(ids(await store.list({ statuses: ['queued'], limit: 10 }))).not.toContain('moving');
    await store.markQueuedForReplay('moving');
    expect(await store.get('moving')).toMatchObject({ status: 'queued' });
    expect((await store.get('moving'))?.statusReason).toBeUndefined();
  });

  it('refuses to finish an attempt for a record that does not exist', async () => {
    await expect(store.finishAttempt('ghost', { status: 'done', outcomes: [], attempts: 1 })).rejects.toThrow();
  });
});
