import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPlanners } from '../../functions/planners.js';
import { parseConfig } from '../../lib/config/load.js';
import type { ActionOutcome } from '../../lib/deliveries/record.js';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import type { JiraConfigInput } from '../../lib/jira/config.js';
import { createJiraPlanner } from '../../lib/jira/planner.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { summarizeEvent } from '../../lib/gitlab/events.js';
import { processDelivery, type DeliveryResult } from '../../lib/worker/process-delivery.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { basicAuthorization, startJiraServer, type JiraTestServer } from '../support/jira-server.js';
import { startTestTable } from '../support/local-aws.js';
import { bookedPaceSlots } from '../support/pace-slots.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';

/**
 * Jira results in the conversation (issue 11 §5), over real wires: the worker with the notify
 * and Jira planners, DynamoDB on dynalite, the real Slack client against the local Slack server,
 * jira.js against the local Jira server. Assertions are on the thread replies Slack received.
 */

const EMAIL = 'bot@example.com';
const TOKEN = 'jira-token-for-echo-tests';
const HOOKS: Record<string, string> = { merge_request: 'Merge Request Hook', push: 'Push Hook', pipeline: 'Pipeline Hook' };

let table: Awaited<ReturnType<typeof startTestTable>>;
let jira: JiraTestServer;
let slack: SlackServer;
let deliveries: DynamoDbDeliveryStore;

beforeAll(async () => {
  table = await startTestTable('jira-echo-test');
  jira = await startJiraServer({ expectedAuthorization: basicAuthorization(EMAIL, TOKEN) });
  slack = await startSlackServer();
  deliveries = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
});
afterAll(async () => {
  await Promise.all([jira.close(), slack.close(), table.close()]);
});
beforeEach(() => {
  jira.reset();
  slack.reset();
  for (const key of ['ABC-12', 'ABC-13', 'ABC-14']) jira.addIssue(key, 'To Do');
});

const ROUTE: RouteInput = { slack: { channel: '#dev' }, events: ['merge_request', 'pipeline'] };

function bridge(
  jiraConfig: Partial<JiraConfigInput> = {},
  options: { routes?: RouteInput[]; jiraOnly?: boolean; print?: (text: string) => void; env?: NodeJS.ProcessEnv } = {},
) {
  const config = parseConfig({
    slack: { apiUrl: slack.apiUrl },
    routes: options.routes ?? [ROUTE],
    jira: { host: jira.url, mergeRequests: { onOpen: 'none', onMerge: 'close' }, ...jiraConfig },
  });
  const plannerDeps = {
    config,
    credentials: credentialsFromEnv(options.env ?? { JIRA_EMAIL: EMAIL, JIRA_API_TOKEN: TOKEN, SLACK_BOT_TOKEN: slack.token }),
    ...(options.print ? { print: options.print } : {}),
  };
  const deps = {
    deliveries,
    effects: new DynamoDbEffectLedger({ client: table.client, tableName: table.tableName }),
    state: new DynamoDbStateStore(table.client, table.tableName),
    planners: options.jiraOnly ? [createJiraPlanner(plannerDeps)] : createPlanners(plannerDeps),
    maxAttempts: DEFAULTS.maxAttempts,
  };
  const store = async (payload: Record<string, unknown>) => {
    const id = randomUUID();
    const summary = summarizeEvent(payload);
    const event = HOOKS[String(payload.object_kind)] ?? 'Unknown Hook';
    await deliveries.create({
      id,
      receivedAt: new Date().toISOString(),
      event,
      objectKind: summary.objectKind,
      projectId: summary.projectId,
      projectPath: summary.projectPath,
      ref: summary.ref,
      status: 'queued',
      headers: { 'x-gitlab-event': event },
      payload: JSON.stringify(payload),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    return id;
  };
  const run = (id: string, options: { attempt?: number; replay?: boolean } = {}) =>
    processDelivery({ v: 1, deliveryId: id, ...(options.replay ? { replay: true } : {}) }, options.attempt ?? 1, deps);
  return { store, run, deliver: async (payload: Record<string, unknown>) => run(await store(payload)) };
}

const outcomesOf = (result: DeliveryResult): ActionOutcome[] => ('outcomes' in result ? result.outcomes : []);
const echoOutcomes = (result: DeliveryResult) => outcomesOf(result).filter((outcome) => outcome.key.includes(':jira-echo:'));
/** The Jira replies Slack received, as the text of their sections. */
const jiraReplies = () =>
  slack.messages
    .filter((message) => message.threadTs !== undefined && message.text.startsWith('Jira:'))
    .map((message) => ({ threadTs: message.threadTs, blocks: (message.blocks as { text?: { text: string } }[]).map((block) => block.text?.text) }));

function mergeRequest(spec: { iid: number; projectId: number; action: string; description?: string }) {
  return mergeRequestEvent({ title: 'ABC-12: booking validation', ...spec });
}

describe('Jira results in the merge request thread', () => {
  it('replies once in the MR thread with ABC-12 → Done when the MR that closes it is merged', async () => {
    const bridged = bridge();
    await bridged.deliver(mergeRequest({ iid: 1, projectId: 701, action: 'open', description: 'Closes ABC-12' }));
    const parent = slack.messages.find((message) => message.threadTs === undefined);
    expect(parent).toBeDefined();

    const merged = await bridged.deliver(mergeRequest({ iid: 1, projectId: 701, action: 'merge', description: 'Closes ABC-12' }));
    expect(merged).toMatchObject({ kind: 'finished', status: 'done' });
    expect(jira.statusOf('ABC-12')).toBe('Done');
    // The link comment is on the issue, but the thread hears only what was asked for.
    expect(jiraReplies()).toEqual([{ threadTs: parent?.ts, blocks: ['*Jira*\n• ABC-12 → Done'] }]);
    const keys = outcomesOf(merged).map((outcome) => outcome.key);
    const echo = echoOutcomes(merged);
    expect(echo).toEqual([expect.objectContaining({ key: `slack:#dev:jira-echo:merge_request:701@flightjs/flight-management:1:merge`, status: 'sent' })]);
    expect(keys.indexOf(echo[0]?.key ?? '')).toBeGreaterThan(keys.indexOf('jira:ABC-12:mr:701@flightjs/flight-management:1:merged'));
  });

  it('paces its reply like every other post to the channel: each chat.postMessage there booked a pacing slot', async () => {
    const channel = '#echo-paced';
    const bridged = bridge({}, { routes: [{ slack: { channel }, events: ['merge_request', 'pipeline'] }] });
    await bridged.deliver(mergeRequest({ iid: 41, projectId: 741, action: 'open', description: 'Closes ABC-13' }));
    await bridged.deliver(mergeRequest({ iid: 41, projectId: 741, action: 'merge', description: 'Closes ABC-13' }));
    expect(jiraReplies()).toHaveLength(1);
    const posts = slack.messages.filter((message) => message.channel === slack.channelId(channel)).length;
    expect(posts).toBe(3);
    // Top-level posts may be paced under the channel's name (before the pacer learns its id),
    // thread replies under the id Slack answered with: both are counted.
    expect((await bookedPaceSlots(table, channel)) + (await bookedPaceSlots(table, slack.channelId(channel)))).toBe(posts);
  });

  it('lists a refused transition with its reason', async () => {
    jira.addIssue('ABC-13', 'Done');
    const result = await bridge().deliver(mergeRequest({ iid: 2, projectId: 702, action: 'merge', description: 'Closes ABC-12, ABC-13' }));
    expect(echoOutcomes(result)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(jiraReplies().map((reply) => reply.blocks)).toEqual([['*Jira*\n• ABC-12 → Done', '*Not done*\n• ABC-13: already in Done']]);
  });

  it('posts nothing when nothing was done in Jira, and says why', async () => {
    jira.addIssue('ABC-12', 'Done');
    const result = await bridge().deliver(mergeRequest({ iid: 3, projectId: 703, action: 'merge' }));
    expect(echoOutcomes(result)).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'no Jira results to post: nothing was done in Jira: already in Done' }),
    ]);
    expect(jiraReplies()).toEqual([]);
  });

  it('posts no reply when the MR has no Slack parent message, and says why', async () => {
    const result = await bridge({}, { jiraOnly: true }).deliver(mergeRequest({ iid: 4, projectId: 704, action: 'merge' }));
    expect(jira.statusOf('ABC-12')).toBe('Done');
    expect(echoOutcomes(result)).toEqual([
      expect.objectContaining({
        status: 'skipped',
        reason: 'no thread to reply in: the bridge posted no message for flightjs/flight-management!4 in #dev',
      }),
    ]);
    expect(slack.calls).toEqual([]);
  });

  it("replies on the retry when the MR's Slack parent failed to post on the first attempt (Slack 429)", async () => {
    const bridged = bridge();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const id = await bridged.store(mergeRequest({ iid: 11, projectId: 711, action: 'merge', description: 'Closes ABC-12' }));
    const first = await bridged.run(id, { attempt: 1 });
    expect(first).toMatchObject({ kind: 'retry' });
    expect(jira.statusOf('ABC-12')).toBe('Done');
    expect(echoOutcomes(first)).toEqual([expect.objectContaining({ status: 'failed', retryable: true })]);
    expect(jiraReplies()).toEqual([]);

    const second = await bridged.run(id, { attempt: 2 });
    expect(second).toMatchObject({ kind: 'finished', status: 'done' });
    const parent = slack.messages.find((message) => message.threadTs === undefined);
    expect(parent).toBeDefined();
    expect(echoOutcomes(second)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(jiraReplies()).toEqual([{ threadTs: parent?.ts, blocks: ['*Jira*\n• ABC-12 → Done'] }]);
  });

  it('reports on a reopened MR only what its reopening did, not the transition its opening made', async () => {
    jira.addIssue('ABC-12', 'In Progress');
    const bridged = bridge({ mergeRequests: { onOpen: 'review', onMerge: 'none' } });
    await bridged.deliver(mergeRequest({ iid: 12, projectId: 712, action: 'open' }));
    expect(jira.statusOf('ABC-12')).toBe('In Review');
    expect(jiraReplies().map((reply) => reply.blocks)).toEqual([['*Jira*\n• ABC-12 → In Review']]);

    await bridged.deliver(mergeRequest({ iid: 12, projectId: 712, action: 'close' }));
    const reopened = await bridged.deliver(mergeRequest({ iid: 12, projectId: 712, action: 'reopen' }));
    expect(reopened).toMatchObject({ kind: 'finished', status: 'done' });
    expect(echoOutcomes(reopened)).toEqual([expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/^no Jira results to post/) })]);
    expect(jiraReplies()).toHaveLength(1);
  });

  it('posts nothing with echoJira: false', async () => {
    const result = await bridge({ echoJira: false }).deliver(mergeRequest({ iid: 5, projectId: 705, action: 'merge' }));
    expect(jira.statusOf('ABC-12')).toBe('Done');
    expect(echoOutcomes(result)).toEqual([]);
    expect(jiraReplies()).toEqual([]);
  });

  it('posts nothing new on a replay', async () => {
    const bridged = bridge();
    const id = await bridged.store(mergeRequest({ iid: 6, projectId: 706, action: 'merge' }));
    await bridged.run(id);
    expect(jiraReplies()).toHaveLength(1);
    const replayed = await bridged.run(id, { replay: true });
    expect(echoOutcomes(replayed)).toEqual([expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/^already sent/) })]);
    expect(jiraReplies()).toHaveLength(1);
  });

  it('replies once, after the transition, when Jira answered 503 first', async () => {
    const bridged = bridge();
    jira.fail('POST', /\/issue\/ABC-12\/transitions$/, { status: 503, body: 'Service unavailable' });
    const id = await bridged.store(mergeRequest({ iid: 7, projectId: 707, action: 'merge' }));
    const first = await bridged.run(id, { attempt: 1 });
    expect(first).toMatchObject({ kind: 'retry' });
    expect(echoOutcomes(first)).toEqual([expect.objectContaining({ status: 'skipped', reason: expect.stringContaining('Jira answered 503') })]);
    expect(jiraReplies()).toEqual([]);

    const second = await bridged.run(id, { attempt: 2 });
    expect(second).toMatchObject({ kind: 'finished', status: 'done' });
    expect(echoOutcomes(second)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(jiraReplies().map((reply) => reply.blocks)).toEqual([['*Jira*\n• ABC-12 → Done']]);
    await bridged.run(id, { attempt: 3 });
    expect(jiraReplies()).toHaveLength(1);
  });

  it("lists on the retry what Jira refused in the delivery's first attempt", async () => {
    const bridged = bridge();
    jira.addIssue('ABC-13', 'Done');
    jira.fail('POST', /\/issue\/ABC-12\/transitions$/, { status: 503, body: 'Service unavailable' });
    const id = await bridged.store(mergeRequest({ iid: 9, projectId: 709, action: 'merge', description: 'Closes ABC-13' }));
    expect(await bridged.run(id, { attempt: 1 })).toMatchObject({ kind: 'retry' });
    await bridged.run(id, { attempt: 2 });
    expect(jiraReplies().map((reply) => reply.blocks)).toEqual([['*Jira*\n• ABC-12 → Done', '*Not done*\n• ABC-13: already in Done']]);
  });

  it('prints the reply with the Jira effects in local mode without Jira credentials', async () => {
    const printed: string[] = [];
    const bridged = bridge({}, { print: (text) => printed.push(text), env: { SLACK_BOT_TOKEN: slack.token } });
    await bridged.deliver(mergeRequest({ iid: 10, projectId: 710, action: 'merge' }));
    expect(jira.writes()).toEqual([]);
    expect(jiraReplies()).toEqual([]);
    expect(printed.filter((text) => text.includes('would reply in'))).toEqual([
      expect.stringContaining("Jira: would move ABC-12 to 'Done' (flightjs/flight-management!10 merged)"),
    ]);
  });

  it('waits for an issue that failed in this attempt, then reports both, once', async () => {
    const bridged = bridge();
    jira.fail('POST', /\/issue\/ABC-13\/transitions$/, { status: 503, body: 'Service unavailable' });
    const id = await bridged.store(mergeRequest({ iid: 8, projectId: 708, action: 'merge', description: 'Closes ABC-13' }));
    const first = await bridged.run(id, { attempt: 1 });
    expect(echoOutcomes(first)).toEqual([expect.objectContaining({ status: 'failed', retryable: true, error: expect.stringContaining('waiting for ABC-13') })]);
    expect(jiraReplies()).toEqual([]);
    await bridged.run(id, { attempt: 2 });
    expect(jiraReplies().map((reply) => reply.blocks)).toEqual([['*Jira*\n• ABC-12 → Done\n• ABC-13 → Done']]);
  });
});

describe("Jira results in a red branch's failure thread", () => {
  const project = { projectId: 801, projectPath: 'acme/shop' };

  it('replies under the failure notice of the pushed branch with what moved, was logged and was refused', async () => {
    const bridged = bridge();
    await bridged.deliver(pipelineEvent({ ...project, id: 91, ref: 'main', defaultBranch: 'main', status: 'failed', failedJobs: 1 }));
    const notice = slack.messages.find((message) => message.threadTs === undefined);
    expect(notice).toBeDefined();

    const message = 'Fix the checkout\n\nFixes ABC-12\nABC-14 #time 1h 30m\nABC-13 #in-review';
    const result = await bridged.deliver(pushEvent({ ...project, branch: 'main', defaultBranch: 'main', commits: [{ message }] }));
    expect(echoOutcomes(result)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(jiraReplies()).toEqual([
      {
        threadTs: notice?.ts,
        blocks: ['*Jira*\n• ABC-12 → Done\n• ABC-14: 1h 30m logged', "*Not done*\n• ABC-13: no transition 'in review' from 'To Do'"],
      },
    ]);
  });

  it('skips, and does not fail, when the failure notice was deleted in Slack (thread_not_found)', async () => {
    const bridged = bridge();
    const deleted = { projectId: 803, projectPath: 'acme/deleted' };
    await bridged.deliver(pipelineEvent({ ...deleted, id: 93, ref: 'main', defaultBranch: 'main', status: 'failed', failedJobs: 1 }));
    const notice = slack.messages.find((message) => message.threadTs === undefined);
    expect(notice).toBeDefined();
    slack.deleteMessage(notice!.ts);

    const result = await bridged.deliver(pushEvent({ ...deleted, branch: 'main', defaultBranch: 'main', commits: [{ message: 'Fixes ABC-12' }] }));
    expect(jira.statusOf('ABC-12')).toBe('Done');
    expect(result).toMatchObject({ kind: 'finished', status: 'done' });
    expect(echoOutcomes(result)).toEqual([
      expect.objectContaining({ status: 'skipped', reason: `the thread's parent message (ts ${notice!.ts}) no longer exists in Slack` }),
    ]);
    expect(jiraReplies()).toEqual([]);
  });

  it('posts no reply for a push to a branch that is not red, and says why', async () => {
    const result = await bridge().deliver(
      pushEvent({ ...project, projectId: 802, branch: 'main', defaultBranch: 'main', commits: [{ message: 'Fixes ABC-12 on a green branch' }] }),
    );
    expect(jira.statusOf('ABC-12')).toBe('Done');
    expect(echoOutcomes(result)).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'no thread to reply in: main has no open failure notice in #dev' }),
    ]);
    expect(jiraReplies()).toEqual([]);
  });
});
