import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDeliveryDetail } from '../../cli/format/deliveries.js';
import { resolveConfig } from '../../lib/config/resolve.js';
import type { DeliveryRecord } from '../../lib/deliveries/record.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { startLocalBridge, type LocalBridge } from '../../lib/local/bridge.js';
import { LOCAL_AWS, LOCAL_TABLE_NAME } from '../../lib/local/names.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import { createGitLabAccess } from '../../lib/gitlab/access.js';
import { gitlabClientFactory } from '../../lib/gitlab/api-client.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { encodeRetryValue, readInteraction } from '../../lib/slack/interaction.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { processDelivery } from '../../lib/worker/process-delivery.js';
import { createPlanners } from '../../functions/planners.js';
import { signSlackRequest } from '../../lib/slack/verify-signature.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { gitlabHeaders } from '../support/gitlab-fixtures.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { startSlackServer, type SlackServer, type StoredMessage } from '../support/slack-server.js';

/**
 * Issue 12, "Done when": the retry button over real wires. Failure notices go to the Slack
 * stand-in with a "Retry failed jobs" button; clicks are signed block_actions payloads built like
 * Slack's (form-encoded `payload`) posted to the local bridge's `/slack/interactions`; the retry
 * reaches the GitLab stand-in; answers go to the click's response_url on the Slack stand-in.
 */
const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const API_TOKEN = 'glpat-retry-api-scope0000000';
const PROJECT = 4242;
let slack: SlackServer;
let gitlab: FakeGitLab;
let bridge: LocalBridge;
let store: DynamoDbDeliveryStore;
let dynamo: DynamoDBClient;
let config: ReturnType<typeof resolveConfig>;
let env: Record<string, string>;

beforeAll(async () => {
  slack = await startSlackServer();
  gitlab = await startFakeGitLab({ maintainerTokens: [API_TOKEN], tokenScopes: { [API_TOKEN]: ['api'] } });
  // UALICE by name, UBOB through the user group SRELEASE; UEVE is neither.
  slack.addUserGroup('SRELEASE', ['UBOB', 'UCAROL']);
  env = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#ci', SLACK_API_URL: slack.apiUrl, GITLAB_API_TOKEN: API_TOKEN };
  bridge = await startLocalBridge({
    port: 0,
    tokens: ['local-token'],
    config: (config = { ...resolveConfig(env), interactions: { retry: { enabled: true, allowed: ['UALICE', 'SRELEASE'] } } }),
    credentials: credentialsFromEnv(env),
    gitlabUrl: gitlab.url,
    slackSigningSecrets: ['old-rotated-secret', SIGNING_SECRET],
    retryDelaySeconds: 1,
    print: () => {},
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: bridge.dynamoEndpoint });
  store = new DynamoDbDeliveryStore({ client: dynamo, tableName: LOCAL_TABLE_NAME });
}, 60_000);

afterAll(async () => {
  await bridge.stop();
  await Promise.all([slack.close(), gitlab.stop()]);
});

const interactionsUrl = () => `${bridge.url}/slack/interactions`;

async function finished(id: string): Promise<DeliveryRecord> {
  const until = Date.now() + 20_000;
  for (;;) {
    const record = await store.get(id);
    if (record && ['done', 'partial', 'failed'].includes(record.status)) return record;
    if (Date.now() > until) throw new Error(`delivery ${id} did not finish: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sendPipeline(spec: Parameters<typeof pipelineEvent>[0]): Promise<DeliveryRecord> {
  const headers = gitlabHeaders('Pipeline Hook', 'local-token');
  const response = await fetch(bridge.webhookUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify(pipelineEvent({ projectId: PROJECT, ref: 'master', ...spec })),
  });
  expect(response.status).toBe(202);
  return finished(headers['idempotency-key']!);
}

function retryButton(message: StoredMessage): { action_id: string; value: string } | undefined {
  for (const block of message.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]) {
    const button = block.type === 'actions' ? block.elements?.find((element) => element.action_id === 'retry_pipeline') : undefined;
    if (button) return button as { action_id: string; value: string };
  }
  return undefined;
}

let clicks = 0;
/** A block_actions payload as Slack builds it for a click on `actionId` of `message`. */
function clickBody(message: StoredMessage, user: string, action: { action_id: string; value?: string; url?: string }): string {
  clicks += 1;
  const payload = {
    type: 'block_actions',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${clicks}`,
    user: { id: user, username: user.toLowerCase().slice(1), name: user, team_id: 'T0TEST' },
    team: { id: 'T0TEST', domain: 'acme' },
    api_app_id: 'A0BRIDGE',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'ci' },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
    response_url: slack.responseUrl(message.channel, message.ts),
    actions: [{ type: 'button', block_id: 'b1', text: { type: 'plain_text', text: 'x' }, action_ts: `${1_700_000_000 + clicks}.000100`, ...action }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function signedHeaders(body: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(options.secret ?? SIGNING_SECRET, timestamp, body),
  };
}

const clickId = (body: string) => `slack-${createHash('sha256').update(body).digest('hex').slice(0, 48)}`;
const retriesOf = (pipelineId: number) => gitlab.requestsTo('POST', new RegExp(`/projects/${PROJECT}/pipelines/${pipelineId}/retry$`));
const parentOf = (pipelineId: number) =>
  slack.messages.find((message) => message.threadTs === undefined && message.history[0]!.text.includes(`pipeline #${pipelineId}`))!;

describe('retry from Slack', () => {
  it('puts a Retry failed jobs button on the failure notice when the token has the api scope', async () => {
    await sendPipeline({ id: 31, status: 'failed', failedJobs: [{ name: 'rspec' }], attributes: { finished_at: '2026-11-30 10:00:00 UTC' } });
    const button = retryButton(parentOf(31));
    expect(button).toBeDefined();
    expect(JSON.parse(button!.value)).toMatchObject({ p: PROJECT, id: 31 });
    expect(gitlab.requestsTo('GET', /\/personal_access_tokens\/self$/).length).toBeGreaterThan(0);
  });

  it('two concurrent clicks retry the pipeline once; the second clicker is told who did', async () => {
    const parent = parentOf(31);
    const button = retryButton(parent)!;
    const bodies = [clickBody(parent, 'UALICE', button), clickBody(parent, 'UBOB', button)];
    const answers = await Promise.all(bodies.map((body) => fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const records = await Promise.all(bodies.map((body) => finished(clickId(body))));

    expect(retriesOf(31)).toHaveLength(1);
    expect(retriesOf(31)[0]!.headers['private-token']).toBe(API_TOKEN);
    // The message: the button became "Retried by", shown to everyone.
    const latest = parent.history.at(-1)!;
    expect(JSON.stringify(latest.blocks)).toMatch(/Retried by <@U(ALICE|BOB)>/);
    expect(retryButton({ ...parent, blocks: latest.blocks })).toBeUndefined();
    // The other clicker got an ephemeral answer, not a second retry.
    const ephemeral = slack.responses.filter((response) => response.ts === parent.ts && response.body.response_type === 'ephemeral');
    expect(ephemeral).toHaveLength(1);
    expect(String(ephemeral[0]!.body.text)).toMatch(/Already retried by <@U(ALICE|BOB)>|retry of pipeline #31 is starting/);
    // The delivery log: each click with who and what came of it; the legacy token is not kept.
    expect(records.map((record) => record.objectKind)).toEqual(['slack_action', 'slack_action']);
    const outcomes = records.map((record) => record.outcomes[0]!);
    expect(outcomes.filter((outcome) => outcome.status === 'sent')).toHaveLength(1);
    expect(outcomes.find((outcome) => outcome.status === 'sent')!.result).toMatchObject({ pipeline: '31', gitlab: 'pending', reply: 'answered' });
    expect(records.every((record) => !record.payload.includes('legacy-verification-token'))).toBe(true);
  });

  it('a later click gets "already retried" and retries nothing', async () => {
    const parent = parentOf(31);
    const original = { ...parent, blocks: parent.history[0]!.blocks };
    const body = clickBody(original, 'UALICE', retryButton(original)!);
    expect((await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body })).status).toBe(200);
    const record = await finished(clickId(body));
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^already retried by @(alice|bob) at /) });
    expect(String(slack.responses.at(-1)!.body.text)).toMatch(/^Already retried by <@U(ALICE|BOB)> at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>\.$/);
    expect(retriesOf(31)).toHaveLength(1);
  });

  it('the retried pipeline’s result goes in the notice’s thread, and the notice keeps "Retried by"', async () => {
    await sendPipeline({ id: 31, status: 'success', failedJobs: 0, attributes: { finished_at: '2026-11-30 10:20:00 UTC' } });
    const parent = parentOf(31);
    const replies = slack.replies(parent.ts);
    expect(replies.map((reply) => reply.text).join('\n')).toMatch(/Fixed: pipeline #31 passed/);
    const fixed = JSON.stringify(parent.blocks);
    expect(fixed).toContain('Fixed');
    expect(fixed).toMatch(/Retried by <@U(ALICE|BOB)>/);
    expect(fixed).not.toContain('retry_pipeline');
  });

  it('refuses a user who is neither listed nor in a listed user group, and records it', async () => {
    await sendPipeline({ id: 40, status: 'failed', failedJobs: [{ name: 'lint' }], attributes: { finished_at: '2026-11-30 11:00:00 UTC' } });
    const parent = parentOf(40);
    const body = clickBody(parent, 'UEVE', retryButton(parent)!);
    expect((await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body })).status).toBe(200);
    const record = await finished(clickId(body));
    expect(record.outcomes[0]).toMatchObject({
      status: 'skipped',
      reason: 'refused: UEVE is not in interactions.retry.allowed',
      result: { user: 'UEVE', refused: 'not allowed' },
    });
    expect(slack.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('not allowed') });
    expect(retriesOf(40)).toHaveLength(0);
    // `deliveries show`: who clicked, when, what came of it; the response_url is not printed.
    const shown = formatDeliveryDetail(record);
    expect(shown).toMatch(/Clicked by: +@eve \(UEVE\)/);
    expect(shown).toMatch(/Result: +refused: UEVE is not in interactions.retry.allowed/);
    expect(shown).not.toContain('/actions/');
  });

  it('tells the clicker in plain words when GitLab refuses (403), and a later click may try again', async () => {
    const parent = parentOf(40);
    gitlab.script('POST', new RegExp(`/pipelines/40/retry$`), [{ status: 403 }]);
    const body = clickBody(parent, 'UCAROL', retryButton(parent)!);
    expect((await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body })).status).toBe(200);
    const record = await finished(clickId(body));
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('GitLab refused to retry pipeline #40') });
    expect(String(slack.responses.at(-1)!.body.text)).toContain('may not run pipelines in this project');
    expect(retriesOf(40)).toHaveLength(1);

    const again = clickBody(parent, 'UALICE', retryButton(parent)!);
    await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(again), body: again });
    expect((await finished(clickId(again))).outcomes[0]!.status).toBe('sent');
    expect(retriesOf(40)).toHaveLength(2);
  });

  it('tells the clicker in plain words when GitLab no longer knows the pipeline (404), to the clicker only', async () => {
    // A notice whose pipeline was deleted in GitLab since: its button still carries the old id.
    const value = encodeRetryValue({
      projectId: PROJECT,
      projectPath: 'gitlab-org/gitlab-test',
      projectKey: `${PROJECT}@gitlab-org/gitlab-test`,
      pipelineId: 46,
      round: '20261130113000',
      pipelineUrl: 'https://gitlab.example.com/gitlab-org/gitlab-test/-/pipelines/46',
    });
    const message = { channel: 'CDELETED', ts: '1700000000.004600', text: 'Failed: pipeline #46', blocks: [], history: [] };
    gitlab.script('POST', new RegExp(`/pipelines/46/retry$`), [{ status: 404 }]);
    const responsesBefore = slack.responses.length;
    const body = clickBody(message, 'UCAROL', { action_id: 'retry_pipeline', value });
    expect((await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body })).status).toBe(200);
    const record = await finished(clickId(body));
    expect(record.outcomes[0]).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('GitLab does not know pipeline #46') });
    const replies = slack.responses.slice(responsesBefore);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(replies[0]!.body.text)).toBe("GitLab does not know pipeline #46 any more (deleted, or the bridge's token cannot see the project).");
    expect(retriesOf(46)).toHaveLength(1);
  });

  it('answers link button clicks (View pipeline) 200 and records nothing', async () => {
    const parent = parentOf(40);
    const body = clickBody(parent, 'UALICE', { action_id: 'view_pipeline', url: 'https://gitlab.example.com/p' });
    const response = await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body });
    expect(response.status).toBe(200);
    expect(await store.get(clickId(body))).toBeUndefined();
  });

  it.each([
    ['a wrong signature', (body: string) => ({ headers: signedHeaders(body, { secret: 'not-the-secret' }), body })],
    ['a stale timestamp', (body: string) => ({ headers: signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }), body })],
    ['missing headers', (body: string) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })],
    ['a body tampered after signing', (body: string) => ({ headers: signedHeaders(body), body: body.replace('UALICE', 'UMALLORY') })],
  ])('answers %s with 401 and records nothing', async (_name, build) => {
    const parent = parentOf(40);
    const body = clickBody(parent, 'UALICE', retryButton(parent)!);
    const request = build(body);
    const before = retriesOf(40).length;
    const response = await fetch(interactionsUrl(), { method: 'POST', headers: request.headers, body: request.body });
    expect(response.status).toBe(401);
    expect(await store.get(clickId(request.body))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(retriesOf(40)).toHaveLength(before);
  });

  it.each([
    ['a body that is not a form with payload', 'hello=world'],
    ['a payload that is not JSON', 'payload=%7Bnot-json'],
    ['an interaction type the bridge does not handle', `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', user: { id: 'U1' } }))}`],
  ])('answers %s (signed) with 400', async (_name, body) => {
    const response = await fetch(interactionsUrl(), { method: 'POST', headers: signedHeaders(body), body });
    expect(response.status).toBe(400);
  });

  it('announces a pipeline that fails, passes on retry and fails again each time (each run keys apart by its finish time)', async () => {
    // The ref green again first (pipeline #40, retried above, passed).
    await sendPipeline({ id: 40, status: 'success', failedJobs: 0, attributes: { finished_at: '2026-11-30 11:30:00 UTC' } });
    await sendPipeline({ id: 41, status: 'failed', failedJobs: [{ name: 'e2e' }], attributes: { finished_at: '2026-11-30 12:30:00 UTC' } });
    await sendPipeline({ id: 41, status: 'success', failedJobs: 0, attributes: { finished_at: '2026-11-30 12:40:00 UTC' } });
    const before = slack.messages.length;
    const again = await sendPipeline({ id: 41, status: 'failed', failedJobs: [{ name: 'e2e' }], attributes: { finished_at: '2026-11-30 12:50:00 UTC' } });
    expect(again.outcomes.find((outcome) => outcome.summary === 'pipeline #41 failed notice')?.status).toBe('sent');
    const announced = slack.messages.slice(before);
    expect(announced.some((message) => message.threadTs === undefined && message.text.includes('pipeline #41'))).toBe(true);
    // Its new notice offers a retry of this attempt (a new round), not the first one's.
    const latest = announced.find((message) => message.threadTs === undefined)!;
    expect(JSON.parse(retryButton(latest)!.value)).toMatchObject({ id: 41, r: '20261130125000' });
  });

  it('two workers handling clicks at the same moment (two Lambda instances) still retry once', async () => {
    // The local bridge's worker runs a batch in order; in AWS two instances can take two clicks at
    // once. Two workers over the bridge's own DynamoDB, the real planners and the GitLab stand-in.
    const credentials = credentialsFromEnv(env);
    const planners = createPlanners({ config, credentials, gitlab: createGitLabAccess({ credentials, gitlabUrl: gitlab.url, client: gitlabClientFactory }) });
    const worker = {
      deliveries: store,
      effects: new DynamoDbEffectLedger({ client: dynamo, tableName: LOCAL_TABLE_NAME }),
      state: new DynamoDbStateStore(dynamo, LOCAL_TABLE_NAME),
      planners,
      maxAttempts: 3,
    };
    const value = encodeRetryValue({
      projectId: PROJECT,
      projectPath: 'gitlab-org/gitlab-test',
      projectKey: `${PROJECT}@gitlab-org/gitlab-test`,
      pipelineId: 60,
      round: '1',
      pipelineUrl: 'https://gitlab.example.com/gitlab-org/gitlab-test/-/pipelines/60',
    });
    const message = { channel: 'CRACE', ts: '1700000000.000001', text: 'Failed: pipeline #60', blocks: [], history: [] };
    const ids = await Promise.all(
      ['UALICE', 'UBOB'].map(async (user) => {
        const payload = JSON.parse(new URLSearchParams(clickBody(message, user, { action_id: 'retry_pipeline', value })).get('payload')!) as unknown;
        const read = readInteraction(payload);
        if (!('interaction' in read)) throw new Error('not a retry click');
        const id = `race-${user}`;
        const now = new Date();
        await store.create({
          id,
          receivedAt: now.toISOString(),
          event: 'Slack Interaction',
          objectKind: 'slack_action',
          projectId: PROJECT,
          projectPath: 'gitlab-org/gitlab-test',
          ref: null,
          headers: {},
          payload: JSON.stringify(read.interaction),
          status: 'queued',
          expiresAt: Math.floor(now.getTime() / 1000) + 3600,
        });
        return id;
      }),
    );
    await Promise.all(ids.map((deliveryId) => processDelivery({ v: 1, deliveryId }, 1, worker)));
    expect(retriesOf(60)).toHaveLength(1);
    const outcomes = await Promise.all(ids.map(async (id) => (await store.get(id))!.outcomes[0]!));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['sent', 'skipped']);
  });
});
