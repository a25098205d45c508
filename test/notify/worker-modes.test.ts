import type { SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { routingFromEnv } from '../../lib/routing/from-env.js';
import { createSqsBatchHandler } from '../../lib/worker/sqs-batch.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { cardTexts, expectValidTeamsMessage } from './adaptive-card-validation.js';
import { NotifyHarness } from './harness.js';

/** Local mode (print instead of send), missing credentials in AWS, the SQS batch consumer. */
const harness = new NotifyHarness();

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 7000;
let nextId = 3000;
/** Project part of pipeline keys, and the round of the example pipeline (its finished_at). */
const pk = () => `${projectId}@gitlab-org/gitlab-test`;
const ROUND = ':20160812152629';
beforeEach(() => {
  harness.slack.reset();
  harness.teams.reset();
  projectId += 1;
  nextId += 10;
});

describe('local mode: no credentials, a printer', () => {
  it('prints the readable notice and the JSON it would send, and records it as printed, not sent', async () => {
    const printed: string[] = [];
    harness.configure({
      routes: [{ slack: { channel: '#ci' }, teams: { webhook: 'default' } }],
      slackToken: null,
      teamsWebhooks: [],
      print: (text) => printed.push(text),
    });
    const { result, record } = await harness.deliver(pipelineEvent({ projectId, id: nextId, commitTitle: 'Fix <the> build & tests' }));

    expect(result).toMatchObject({ kind: 'finished', status: 'done' });
    expect(harness.slack.calls).toHaveLength(0);
    expect(harness.teams.posts).toHaveLength(0);
    // Each notice, and beside it who it would mention (docs/notices.md: Mentions).
    expect(printed.filter((text) => text.startsWith('── would mention'))).toHaveLength(2);
    const notices = printed.filter((text) => !text.startsWith('── would mention'));
    expect(notices).toHaveLength(2);

    const [slack, teams] = notices as [string, string];
    expect(slack).toContain(
      'would send chat.postMessage to #ci (not sent: no Slack bot token is configured (set SLACK_BOT_TOKEN, or the secret named by SLACK_SECRET_ID))',
    );
    // Readable: entities decoded, links as "label (url)".
    expect(slack).toContain(
      `Commit: Fix <the> build & tests (http://192.168.64.1:3005/gitlab-org/gitlab-test/-/commit/bcbb5ec396a2c0f828686f14fac9b80b780504f2)`,
    );
    // And the exact request body.
    const json = JSON.parse(slack.slice(slack.indexOf('\n{'))) as Record<string, unknown>;
    expect(json).toMatchObject({ channel: '#ci', text: expect.stringContaining('Fix &lt;the&gt; build &amp; tests') });
    expect(Array.isArray(json.blocks)).toBe(true);

    expect(teams).toContain('would send card to Teams webhook "default"');
    expect(teams).toContain(`❌ Pipeline #${nextId} failed on master`);
    const card = JSON.parse(teams.slice(teams.indexOf('\n{'))) as unknown;
    expect(cardTexts(expectValidTeamsMessage(card))[0]).toBe(`❌ Pipeline #${nextId} failed on master`);

    // Printed effects stay open: once credentials are set, a replay sends them for real.
    expect(record.outcomes.map((outcome) => [outcome.kind, outcome.status, outcome.result])).toEqual([
      ['slack', 'skipped', undefined],
      ['teams', 'skipped', undefined],
    ]);
    expect(record.outcomes[0]?.reason).toMatch(/^printed, not sent: no Slack bot token/);
  });

  it('a printed notice is sent for real when its delivery is replayed once credentials exist, and only once', async () => {
    const printed: string[] = [];
    harness.configure({ routes: [{ slack: { channel: 'C0LATER' } }], slackToken: null, print: (text) => printed.push(text) });
    const { id } = await harness.deliver(pipelineEvent({ projectId, id: nextId }));
    expect(printed.filter((text) => !text.startsWith('── would mention'))).toHaveLength(1);

    harness.configure({ routes: [{ slack: { channel: 'C0LATER' } }] });
    const replayed = await harness.run(id, { replay: true });
    expect(replayed).toMatchObject({ kind: 'finished', status: 'done' });
    expect(harness.slack.messages.map((message) => message.channel)).toEqual(['C0LATER']);
    expect((await harness.store.get(id))?.outcomes[0]).toMatchObject({
      key: `slack:C0LATER:pipeline:${pk()}:${nextId}:failed${ROUND}`,
      status: 'sent',
      result: { ts: harness.slack.messages[0]!.ts },
    });

    // Sent for real now: a second replay posts nothing, and the recovery threads under it.
    await harness.run(id, { replay: true });
    await harness.deliver(pipelineEvent({ projectId, id: nextId + 1, status: 'success' }));
    expect(harness.slack.channelMessages('C0LATER')).toHaveLength(1);
    expect(harness.slack.replies(harness.slack.messages[0]!.ts)).toHaveLength(1);
  });

  it('prints the recovery too when the ref goes green', async () => {
    const printed: string[] = [];
    harness.configure({ routes: [{ slack: { channel: '#ci' } }], slackToken: null, print: (text) => printed.push(text) });
    await harness.deliver(pipelineEvent({ projectId, id: nextId }));
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId + 1, status: 'success' }));
    const notices = printed.filter((text) => !text.startsWith('── would mention'));
    expect(notices).toHaveLength(2);
    expect(notices[1]).toContain(`Pipeline #${nextId + 1} (http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/${nextId + 1}) passed on branch master`);
    expect(record.outcomes).toEqual([
      expect.objectContaining({
        key: `slack:#ci:pipeline:${pk()}:${nextId + 1}:recovered${ROUND}`,
        status: 'skipped',
        reason: expect.stringMatching(/^printed, not sent/),
      }),
    ]);
    expect(harness.slack.calls).toHaveLength(0);
  });

  it('without a printer (AWS), a missing Slack token is a config error naming the secret, not retried', async () => {
    harness.configure({ routes: [{ slack: { channel: 'C0AWS' } }], slackToken: null });
    const { result, record } = await harness.deliver(mergeRequestEvent({ projectId, iid: nextId }));
    expect(result).toMatchObject({ kind: 'finished', status: 'failed' });
    expect(record.outcomes[0]).toMatchObject({
      status: 'failed',
      retryable: false,
      error: 'cannot send chat.postMessage to C0AWS: no Slack bot token is configured (set SLACK_BOT_TOKEN, or the secret named by SLACK_SECRET_ID)',
    });
  });
});

describe('zero-config: routes from environment variables', () => {
  it('SLACK_CHANNEL + TEAMS_WEBHOOK_URL: failed default-branch pipelines and MR events reach both', async () => {
    const config = parseConfig(
      routingFromEnv({ SLACK_CHANNEL: 'C0ZERO', SLACK_API_URL: harness.slack.apiUrl, TEAMS_WEBHOOK_URL: 'https://example.invalid/secret' }),
      'environment',
    );
    harness.configure({ routes: config.routes as never, teamsWebhooks: ['default'] });
    await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'master' }));
    await harness.deliver(pipelineEvent({ projectId, id: nextId + 1, ref: 'feature/x' }));
    await harness.deliver(pipelineEvent({ projectId, id: nextId + 2, ref: 'master', status: 'success' }));
    await harness.deliver(mergeRequestEvent({ projectId, iid: nextId }));
    await harness.deliver(mergeRequestEvent({ projectId, iid: nextId, action: 'update' }));
    // Failure, recovery (reply + parent update), MR opened.
    const chat = harness.slack.calls.filter((call) => call.method.startsWith('chat.'));
    expect(chat.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update', 'chat.postMessage']);
    expect(harness.teams.postsTo('default')).toHaveLength(3);
  });
});

describe('createPlanners wiring', () => {
  it('the worker’s planner table includes the notify planner', async () => {
    harness.configure({ routes: [{ slack: { channel: 'C0WIRED' } }], allPlanners: true });
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId }));
    expect(record.outcomes.filter((outcome) => outcome.kind === 'slack')).toEqual([
      expect.objectContaining({ status: 'sent', key: `slack:C0WIRED:pipeline:${pk()}:${nextId}:failed${ROUND}` }),
    ]);
  });
});

function sqsRecord(deliveryId: string): SQSRecord {
  return {
    messageId: `m-${deliveryId}`,
    receiptHandle: `rh-${deliveryId}`,
    body: JSON.stringify({ v: 1, deliveryId }),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

describe('SQS partial batch', () => {
  it('a rate-limited channel fails only its own record; the others are sent and done', async () => {
    harness.configure({
      routes: [
        { projects: ['acme/web'], slack: { channel: 'C0WEB' } },
        { projects: ['acme/api'], slack: { channel: 'C0API' } },
      ],
    });
    harness.slack.failChannel('C0API', { status: 429, retryAfterSeconds: 3 });
    const web1 = await harness.storeDelivery(pipelineEvent({ projectPath: 'acme/web', projectId: 1, id: nextId, defaultBranch: 'main', ref: 'main' }));
    const api = await harness.storeDelivery(pipelineEvent({ projectPath: 'acme/api', projectId: 2, id: nextId + 1, defaultBranch: 'main', ref: 'main' }));
    const web2 = await harness.storeDelivery(pipelineEvent({ projectPath: 'acme/web', projectId: 1, id: nextId + 2, defaultBranch: 'main', ref: 'main' }));

    const handler = createSqsBatchHandler(harness.workerDeps);
    const response = await handler({ Records: [sqsRecord(web1), sqsRecord(api), sqsRecord(web2)] });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: `m-${api}` }] });
    expect((await harness.store.get(web1))?.status).toBe('done');
    expect((await harness.store.get(web2))?.status).toBe('done');
    const failed = await harness.store.get(api);
    expect(failed?.status).toBe('processing');
    expect(failed?.outcomes[0]).toMatchObject({ status: 'failed', retryable: true, error: 'Slack rate limited chat.postMessage to C0API; retry after 3s' });
    expect(harness.slack.messages.map((message) => message.channel).sort()).toEqual(['C0WEB', 'C0WEB']);
  });

  it('Slack’s Retry-After becomes the failed message’s visibility delay: the queue waits, not the Lambda', async () => {
    harness.configure({ routes: [{ projects: ['acme/api'], slack: { channel: 'C0SLOW' } }] });
    harness.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 42 });
    const id = await harness.storeDelivery(pipelineEvent({ projectPath: 'acme/api', projectId: 2, id: nextId, defaultBranch: 'main', ref: 'main' }));
    const delays: Array<[string, number]> = [];
    const handler = createSqsBatchHandler(harness.workerDeps, { delay: async (receiptHandle, seconds) => void delays.push([receiptHandle, seconds]) });

    const response = await handler({ Records: [sqsRecord(id)] });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: `m-${id}` }] });
    expect(delays).toEqual([[`rh-${id}`, 42]]);
    expect(harness.slack.calls).toHaveLength(1);
  });
});
