import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { BridgeConfig } from '../../lib/config/schema.js';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import type { JiraConfigInput } from '../../lib/jira/config.js';
import { createJiraPlanner } from '../../lib/jira/planner.js';
import { credentialsFromEnv } from '../../lib/secrets/credentials.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { processDelivery, type DeliveryResult } from '../../lib/worker/process-delivery.js';
import { readFixture } from '../support/gitlab-fixtures.js';
import { basicAuthorization, startJiraServer, type JiraTestServer } from '../support/jira-server.js';
import { startTestTable } from '../support/local-aws.js';
import { pushEvent, shaFor, type PushSpec } from '../fixtures/builders/push.js';

/**
 * End to end through the worker: a delivery stored in DynamoDB (dynalite), processDelivery with
 * the real DynamoDB effect ledger and state store, the Jira planner, the real jira.js client,
 * and a local Jira Cloud server. Assertions are on what reached Jira and what the delivery
 * record says.
 */

const EMAIL = 'bot@example.com';
const TOKEN = 'jira-token-for-tests';
const JIRA_ENV = { JIRA_EMAIL: EMAIL, JIRA_API_TOKEN: TOKEN };

let table: Awaited<ReturnType<typeof startTestTable>>;
let jira: JiraTestServer;
let deliveries: DynamoDbDeliveryStore;

beforeAll(async () => {
  table = await startTestTable('jira-worker-test');
  jira = await startJiraServer({ expectedAuthorization: basicAuthorization(EMAIL, TOKEN) });
  deliveries = new DynamoDbDeliveryStore({ client: table.client, tableName: table.tableName });
});
afterAll(async () => {
  await jira.close();
  await table.close();
});
beforeEach(() => {
  jira.reset();
  for (const key of ['ABC-1', 'ABC-2', 'ABC-3']) jira.addIssue(key, 'To Do');
});

interface Harness {
  config: BridgeConfig;
  printed: string[];
  store(payload: Record<string, unknown>, event?: string): Promise<string>;
  process(deliveryId: string, options?: { attempt?: number; replay?: boolean; force?: boolean }): Promise<DeliveryResult>;
  deliver(payload: Record<string, unknown>, event?: string): Promise<DeliveryResult>;
}

function harness(jiraConfig: Partial<JiraConfigInput> = {}, options: { env?: NodeJS.ProcessEnv; print?: boolean } = {}): Harness {
  const config = parseConfig({ routes: [], jira: { host: jira.url, ...jiraConfig } });
  const printed: string[] = [];
  const planner = createJiraPlanner({
    config,
    credentials: credentialsFromEnv(options.env ?? JIRA_ENV),
    ...(options.print ? { print: (line: string) => printed.push(line) } : {}),
  });
  const deps = {
    deliveries,
    effects: new DynamoDbEffectLedger({ client: table.client, tableName: table.tableName }),
    state: new DynamoDbStateStore(table.client, table.tableName),
    config,
    planners: [planner],
    maxAttempts: DEFAULTS.maxAttempts,
  };
  const store = async (payload: Record<string, unknown>, event = payload.object_kind === 'merge_request' ? 'Merge Request Hook' : 'Push Hook') => {
    const id = randomUUID();
    const project = payload.project as { id: number; path_with_namespace: string };
    await deliveries.create({
      id,
      receivedAt: new Date().toISOString(),
      event,
      objectKind: payload.object_kind as string,
      projectId: project.id,
      projectPath: project.path_with_namespace,
      ref: typeof payload.ref === 'string' ? payload.ref : null,
      status: 'queued',
      headers: { 'x-gitlab-event': event },
      payload: JSON.stringify(payload),
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
    });
    return id;
  };
  const process = (deliveryId: string, run: { attempt?: number; replay?: boolean; force?: boolean } = {}) =>
    processDelivery({ v: 1, deliveryId, ...(run.replay ? { replay: true } : {}), ...(run.force ? { force: true } : {}) }, run.attempt ?? 1, deps);
  return { config, printed, store, process, deliver: async (payload, event) => process(await store(payload, event)) };
}

/**
 * Commit effect keys hold only the sha (the builder derives it from the message), across
 * projects and branches: tests that must not see each other's effects use different messages.
 */
function push(spec: PushSpec): Record<string, unknown> {
  return pushEvent(spec);
}

const calls = () => jira.requests.map((request) => `${request.method} ${request.path}`);
const outcomesOf = (result: DeliveryResult) => ('outcomes' in result ? result.outcomes : []);

describe('Jira through the worker', () => {
  it('moves and comments from a push to the default branch', async () => {
    const message = 'Parser: first cut\n\nABC-1 #start-progress #comment started on the parser\nFixes ABC-2';
    const bridge = harness();
    const id = await bridge.store(push({ commits: [{ message, timestamp: '2024-03-01T10:00:00+01:00' }] }));
    const result = await bridge.process(id);
    const sha = shaFor(message);

    expect(result).toMatchObject({ kind: 'finished', status: 'done' });
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`jira:ABC-1:commit:${sha}:transition:start-progress`, 'sent'],
      [`jira:ABC-1:commit:${sha}:comment`, 'sent'],
      [`jira:ABC-2:commit:${sha}:transition:done`, 'sent'],
      [`jira:ABC-2:commit:${sha}:mention`, 'sent'],
    ]);
    expect(jira.writes().map((request) => [request.path, request.body])).toEqual([
      ['/rest/api/3/issue/ABC-1/transitions', { transition: { id: '11' } }],
      ['/rest/api/3/issue/ABC-1/comment', { body: expect.objectContaining({ type: 'doc', version: 1 }) }],
      ['/rest/api/3/issue/ABC-2/transitions', { transition: { id: '31' } }],
      ['/rest/api/3/issue/ABC-2/comment', { body: expect.objectContaining({ type: 'doc' }) }],
    ]);
    expect(jira.statusOf('ABC-1')).toBe('In Progress');
    expect(jira.statusOf('ABC-2')).toBe('Done');

    const comment = jira.comments.get('ABC-1')?.[0]?.body as { content: { content: { text: string; marks?: { attrs?: { href: string } }[] }[] }[] };
    expect(comment.content[0]?.content[0]?.text).toBe('started on the parser');
    const footer = comment.content[1]?.content ?? [];
    expect(footer.map((node) => node.text).join('')).toBe(`From commit ${sha.slice(0, 8)} by Jordi Mallach in mike/diaspora (master).`);
    expect(footer[1]?.marks?.[0]?.attrs?.href).toBe(`http://example.com/mike/diaspora/commit/${sha}`);

    const stored = await deliveries.get(id);
    expect(stored?.status).toBe('done');
    expect(stored?.outcomes.find((outcome) => outcome.key.endsWith(':transition:done'))?.result).toEqual({
      transitionId: '31',
      transition: 'Done',
      from: 'To Do',
      to: 'Done',
    });
  });

  it("links a comment only to the project's own GitLab instance: a commit URL elsewhere stays plain text", async () => {
    const message = 'ABC-3 #comment linked elsewhere';
    const payload = push({ commits: [{ message }] });
    (payload.commits as { url: string }[])[0]!.url = 'https://evil.example/phish';
    const result = await harness().deliver(payload);
    expect(result).toMatchObject({ kind: 'finished', status: 'done' });
    const comment = jira.comments.get('ABC-3')?.at(-1)?.body;
    expect(JSON.stringify(comment)).not.toContain('evil.example');
    expect(JSON.stringify(comment)).toContain(shaFor(message).slice(0, 8));
  });

  it('does nothing twice: the same commits pushed again, to another branch, and a replay', async () => {
    const bridge = harness({ branches: 'all' });
    const commits = [{ message: 'ABC-3 #comment once only' }, { message: 'Closes ABC-1 and ABC-2' }];
    const firstId = await bridge.store(push({ projectId: 7, commits }));
    const first = await bridge.process(firstId);
    expect(first).toMatchObject({ kind: 'finished', status: 'done' });
    const writesAfterFirst = jira.writes().length;
    expect(writesAfterFirst).toBe(5); // comment ABC-3, transition + reference comment for ABC-1 and ABC-2

    const again = await bridge.deliver(push({ projectId: 7, commits }));
    const cherryPicked = await bridge.deliver(push({ projectId: 7, branch: 'release/1.x', commits }));
    const replayed = await bridge.process(firstId, { replay: true });

    expect(jira.writes()).toHaveLength(writesAfterFirst);
    for (const result of [again, cherryPicked, replayed]) {
      expect(result).toMatchObject({ kind: 'finished', status: 'done' });
      expect(outcomesOf(result)).toHaveLength(5);
      expect(outcomesOf(result).every((outcome) => outcome.status === 'skipped' && outcome.reason?.startsWith('already sent'))).toBe(true);
    }
    expect(jira.comments.get('ABC-3')).toHaveLength(1);
  });

  it('does not repeat a commit cherry-picked with -x onto another acting branch', async () => {
    const bridge = harness({ branches: ['master', 'release/*'] });
    const original = 'ABC-3 #time 2h #comment backport-safe fix';
    await bridge.deliver(push({ commits: [{ message: original }] }));
    expect(jira.worklogs.get('ABC-3')).toHaveLength(1);
    const writes = jira.writes().length;

    const picked = `${original}\n\n(cherry picked from commit ${shaFor(original)})`;
    const result = await bridge.deliver(push({ branch: 'release/1.x', commits: [{ message: picked }] }));
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`jira:ABC-3:commit:${shaFor(original)}:worklog`, 'skipped'],
      [`jira:ABC-3:commit:${shaFor(original)}:comment`, 'skipped'],
    ]);
    expect(jira.writes()).toHaveLength(writes);
  });

  it('plans a commit and its -x cherry-pick in the same push once', async () => {
    const original = 'ABC-2 #time 1h #comment same push backport';
    const picked = `${original}\n\n(cherry picked from commit ${shaFor(original)})`;
    const result = await harness({ branches: 'all' }).deliver(push({ commits: [{ message: original }, { message: picked }] }));
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
      [`jira:ABC-2:commit:${shaFor(original)}:worklog`, 'sent'],
      [`jira:ABC-2:commit:${shaFor(original)}:comment`, 'sent'],
    ]);
    expect(jira.worklogs.get('ABC-2')).toHaveLength(1);
  });

  it("records a 404 with Jira's errorMessages and does not retry it", async () => {
    const result = await harness().deliver(push({ commits: [{ message: 'NOPE-9 #comment hello' }] }));
    expect(result.kind).toBe('finished');
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({
        key: `jira:NOPE-9:commit:${shaFor('NOPE-9 #comment hello')}:comment`,
        status: 'failed',
        retryable: false,
        error: 'Jira answered 404 to the request to comment on NOPE-9: Issue does not exist or you do not have permission to see it.',
      }),
    ]);
    expect('status' in result && result.status).toBe('failed');
  });

  it('retries a 429 after Retry-After and then performs the effect exactly once', async () => {
    const bridge = harness();
    jira.fail('POST', /\/comment$/, { status: 429, body: { errorMessages: ['Rate limit exceeded.'], errors: {} }, headers: { 'retry-after': '30' } });
    const id = await bridge.store(push({ commits: [{ message: 'ABC-1 #comment after the rate limit' }] }));

    const first = await bridge.process(id, { attempt: 1 });
    expect(first).toMatchObject({ kind: 'retry', status: 'processing', retryAfterMs: 30_000 });
    expect(jira.comments.get('ABC-1')).toBeUndefined();
    expect((await deliveries.get(id))?.outcomes[0]).toMatchObject({ status: 'failed', retryable: true, attempts: 1 });

    const second = await bridge.process(id, { attempt: 2 });
    expect(second).toMatchObject({ kind: 'finished', status: 'done' });
    expect((await deliveries.get(id))?.outcomes[0]).toMatchObject({ status: 'sent', attempts: 2, result: { commentId: expect.any(String) } });
    expect(jira.comments.get('ABC-1')).toHaveLength(1);
  });

  it('retries a 5xx', async () => {
    jira.fail('GET', /\/issue\/ABC-1$/, { status: 502, body: 'Bad gateway' });
    const result = await harness().deliver(push({ commits: [{ message: 'ABC-1 #done when the gateway recovers' }] }));
    expect(result).toMatchObject({ kind: 'retry', status: 'processing' });
    expect(outcomesOf(result)[0]).toMatchObject({ status: 'failed', retryable: true, error: 'Jira answered 502 to the request to read the status of ABC-1' });
    expect(jira.writes().filter((request) => request.path.endsWith('/transitions'))).toEqual([]);
  });

  it('retries a Jira that stalls, well inside the worker Lambda timeout (the call is bounded)', async () => {
    jira.stall('GET', /\/issue\/ABC-1$/, 'headers');
    const started = Date.now();
    const result = await harness().deliver(push({ commits: [{ message: 'ABC-1 #done while Jira hangs' }] }));
    // The worker Lambda has 60 s (cdk/bridge-stack.ts WORKER_TIMEOUT); the Jira bound is a fraction of it.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result).toMatchObject({ kind: 'retry', status: 'processing' });
    expect(outcomesOf(result)[0]).toMatchObject({
      status: 'failed',
      retryable: true,
      error: expect.stringMatching(/^Jira did not answer in time .* to read the status of ABC-1$/),
    });
  }, 45_000);

  it("records \"no transition 'Done' from 'Backlog'\" as skipped, not retried", async () => {
    jira.addIssue('ABC-1', 'Backlog');
    const result = await harness().deliver(push({ commits: [{ message: 'Fixes ABC-1' }] }));
    expect(result).toMatchObject({ kind: 'finished', status: 'done' });
    expect(outcomesOf(result)[0]).toMatchObject({ status: 'skipped', reason: "no transition 'Done' from 'Backlog'" });
  });

  it('logs work from #time with the commit time as the start', async () => {
    const message = 'JRA-34 #time 1w 2d 4h 30m Total work logged';
    jira.addIssue('JRA-34', 'In Progress');
    const result = await harness().deliver(push({ commits: [{ message, timestamp: '2024-03-01T10:00:00+01:00' }] }));
    expect(outcomesOf(result).map((outcome) => outcome.key)).toEqual([`jira:JRA-34:commit:${shaFor(message)}:worklog`]);
    expect(jira.worklogs.get('JRA-34')).toEqual([expect.objectContaining({ timeSpent: '1w 2d 4h 30m', started: '2024-03-01T09:00:00.000+0000' })]);
  });

  it('records a Smart Commit command it cannot run, with the reason, instead of dropping it', async () => {
    const message = 'ABC-1 #time two hours #comment pairing on the parser';
    const result = await harness().deliver(push({ commits: [{ message }] }));
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.target, outcome.status, outcome.reason ?? ''])).toEqual([
      [`jira:ABC-1:commit:${shaFor(message)}:comment`, 'ABC-1', 'sent', ''],
      [`jira:ABC-1:commit:${shaFor(message)}:rejected`, 'ABC-1', 'skipped', '#time needs a duration such as 1w 2d 4h 30m (line 1: "#time two hours")'],
    ]);
    expect(jira.worklogs.get('ABC-1')).toBeUndefined();
  });

  it('records a commit whose only command cannot be run', async () => {
    const message = 'ABC-2 #time soon';
    const result = await harness().deliver(push({ commits: [{ message }] }));
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({
        key: `jira:ABC-2:commit:${shaFor(message)}:rejected`,
        status: 'skipped',
        reason: '#time needs a duration such as 1w 2d 4h 30m (line 1: "#time soon")',
      }),
    ]);
    expect(jira.requests).toEqual([]);
  });

  it('acts only on the default branch by default, and says so', async () => {
    const result = await harness().deliver(push({ branch: 'feature/ABC-1-login', commits: [{ message: 'Fixes ABC-1' }] }));
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({ status: 'skipped', reason: "branch 'feature/ABC-1-login' is not the default branch 'master' (jira.branches is \"default\")" }),
    ]);
    expect(jira.requests).toEqual([]);
  });

  it('records a push GitLab cut off at 20 commits', async () => {
    const result = await harness().deliver(push({ commits: [{ message: 'Fixes ABC-1 in a long push' }], totalCommits: 35 }));
    expect(outcomesOf(result)[0]).toMatchObject({
      status: 'skipped',
      reason: 'GitLab sent 1 of 35 commits (it includes at most 20 per push); commands in the other 34 commits were not read',
    });
    expect(outcomesOf(result)[1]).toMatchObject({ status: 'sent' });
  });

  it("records GitLab's documented push example as cut off (4 commits, 2 sent) and finds no commands", async () => {
    const result = await harness().deliver(readFixture('push--basic.json'));
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({
        key: 'jira:push:15@mike/diaspora:da1560886d4f094c3e6c9ef40349f7d38b5d27d7:truncated',
        status: 'skipped',
        reason: expect.stringContaining('GitLab sent 2 of 4 commits'),
      }),
    ]);
    expect(jira.requests).toEqual([]);
  });

  it('records a push payload GitLab would not send as a plan failure, not retried', async () => {
    const payload = { ...push({ commits: [{ message: 'Fixes ABC-1 broken payload' }] }), project: { id: 1, path_with_namespace: 'mike/diaspora' } };
    const result = await harness().deliver(payload);
    expect(result.kind).toBe('finished');
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({
        key: 'plan:jira',
        status: 'failed',
        retryable: false,
        error: expect.stringContaining("push payload does not match GitLab's push event: project.web_url"),
      }),
    ]);
    expect(jira.requests).toEqual([]);
  });

  it('does nothing for a tag push', async () => {
    // GitLab's tag push: its own event and object_kind, the push shape (webhook_events.md, "Tag events").
    const tagPush = { ...push({ ref: 'refs/tags/v1.0', commits: [{ message: 'Fixes ABC-1 in a tag' }] }), object_kind: 'tag_push', event_name: 'tag_push' };
    const result = await harness({ branches: 'all' }).deliver(tagPush, 'Tag Push Hook');
    expect(outcomesOf(result)).toEqual([]);
  });

  it("ignores the bridge's own bot user", async () => {
    const result = await harness({ ignoreUsers: ['gitlab-bridge-bot'] }).deliver(
      push({ username: 'gitlab-bridge-bot', commits: [{ message: 'Fixes ABC-1' }] }),
    );
    expect(outcomesOf(result)).toEqual([expect.objectContaining({ status: 'skipped', reason: 'pushed by gitlab-bridge-bot, listed in jira.ignoreUsers' })]);
    expect(jira.requests).toEqual([]);
  });

  it('skips merge commits, which repeat the MR description', async () => {
    const result = await harness().deliver(
      push({ commits: [{ message: "Merge branch 'feature' into 'master'\n\nFixes ABC-1\n\nSee merge request mike/diaspora!3" }] }),
    );
    expect(outcomesOf(result)).toEqual([]);
    expect(jira.requests).toEqual([]);
  });

  it('skips an ambiguous #start with the reason', async () => {
    jira.setWorkflow([
      { id: '11', name: 'Start Progress', to: 'In Progress' },
      { id: '12', name: 'Start Review', to: 'In Review' },
    ]);
    try {
      const result = await harness().deliver(push({ commits: [{ message: 'ABC-1 #start' }] }));
      expect(outcomesOf(result)[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining("#start is ambiguous from 'To Do'") });
      expect(jira.writes().filter((request) => request.path.endsWith('/transitions'))).toEqual([]);
    } finally {
      jira.setWorkflow((await import('../support/jira-server.js')).DEFAULT_WORKFLOW);
    }
  });

  describe('the commit link comment follows a transition that ran', () => {
    const writesTo = (issueKey: string) => jira.writes().filter((request) => request.path.includes(`/issue/${issueKey}/`));

    it('adds no comment for an ambiguous #in, and says why', async () => {
      jira.setWorkflow([
        { id: '11', name: 'In Progress', to: 'In Progress' },
        { id: '21', name: 'In Review', to: 'In Review' },
        { id: '31', name: 'Done', to: 'Done' },
      ]);
      try {
        const message = 'ABC-1 #in';
        const result = await harness().deliver(push({ commits: [{ message }] }));
        expect(result).toMatchObject({ kind: 'finished', status: 'done' });
        expect(outcomesOf(result)).toEqual([
          expect.objectContaining({ key: `jira:ABC-1:commit:${shaFor(message)}:transition:in`, status: 'skipped' }),
          expect.objectContaining({
            key: `jira:ABC-1:commit:${shaFor(message)}:mention`,
            status: 'skipped',
            reason:
              "no comment: ABC-1 was not moved: #in is ambiguous from 'To Do': 'In Progress', 'In Review'; write the full name with hyphens, e.g. #in-progress",
          }),
        ]);
        expect(writesTo('ABC-1')).toEqual([]);
      } finally {
        jira.setWorkflow((await import('../support/jira-server.js')).DEFAULT_WORKFLOW);
      }
    });

    it('adds no comment for #review when Jira offers no such transition', async () => {
      const message = 'ABC-1 #review';
      const result = await harness().deliver(push({ commits: [{ message }] }));
      expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status, outcome.reason])).toEqual([
        [`jira:ABC-1:commit:${shaFor(message)}:transition:review`, 'skipped', "no transition 'review' from 'To Do'"],
        [`jira:ABC-1:commit:${shaFor(message)}:mention`, 'skipped', "no comment: ABC-1 was not moved: no transition 'review' from 'To Do'"],
      ]);
      expect(writesTo('ABC-1')).toEqual([]);
    });

    it('adds no comment for Fixes on an issue already Done', async () => {
      jira.addIssue('ABC-1', 'Done');
      const message = 'Fixes ABC-1 a second time';
      const result = await harness().deliver(push({ commits: [{ message }] }));
      expect(outcomesOf(result).map((outcome) => [outcome.status, outcome.reason])).toEqual([
        ['skipped', 'already in Done'],
        ['skipped', 'no comment: ABC-1 was not moved: already in Done'],
      ]);
      expect(jira.comments.get('ABC-1')).toBeUndefined();
    });

    it('adds exactly one comment after a transition that ran, and a replay adds nothing', async () => {
      const bridge = harness();
      const message = 'Fixes ABC-1 and moves it';
      const id = await bridge.store(push({ commits: [{ message }] }));
      const first = await bridge.process(id);
      expect(outcomesOf(first).map((outcome) => [outcome.key, outcome.status])).toEqual([
        [`jira:ABC-1:commit:${shaFor(message)}:transition:done`, 'sent'],
        [`jira:ABC-1:commit:${shaFor(message)}:mention`, 'sent'],
      ]);
      expect(jira.comments.get('ABC-1')).toHaveLength(1);
      const writes = jira.writes().length;

      const replayed = await bridge.process(id, { replay: true });
      expect(outcomesOf(replayed).map((outcome) => outcome.reason)).toEqual([expect.stringMatching(/^already sent/), expect.stringMatching(/^already sent/)]);
      expect(jira.writes()).toHaveLength(writes);
      expect(jira.comments.get('ABC-1')).toHaveLength(1);
    });

    it('adds the comment once when one of two transitions of the issue in the commit ran', async () => {
      const message = 'ABC-2 #review\nFixes ABC-2';
      const result = await harness().deliver(push({ commits: [{ message }] }));
      expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
        [`jira:ABC-2:commit:${shaFor(message)}:transition:review`, 'skipped'],
        [`jira:ABC-2:commit:${shaFor(message)}:transition:done`, 'sent'],
        [`jira:ABC-2:commit:${shaFor(message)}:mention`, 'sent'],
      ]);
      expect(jira.comments.get('ABC-2')).toHaveLength(1);
    });

    it('replays a commit whose transition did not run without adding the comment later', async () => {
      const bridge = harness();
      jira.addIssue('ABC-2', 'Done');
      const id = await bridge.store(push({ commits: [{ message: 'Fixes ABC-2 already closed' }] }));
      await bridge.process(id);
      jira.addIssue('ABC-2', 'To Do');
      const replayed = await bridge.process(id, { replay: true });
      expect(outcomesOf(replayed).map((outcome) => outcome.reason)).toEqual([
        expect.stringMatching(/^already sent/),
        expect.stringMatching(/^no comment: ABC-2 was not moved: already sent/),
      ]);
      expect(jira.writes()).toEqual([]);
    });

    it('comments on the retry that runs the transition, once, when Jira failed it first', async () => {
      const bridge = harness();
      jira.fail('GET', /\/issue\/ABC-3$/, { status: 503, body: 'Service unavailable' });
      const id = await bridge.store(push({ commits: [{ message: 'Fixes ABC-3 after an outage' }] }));
      const first = await bridge.process(id, { attempt: 1 });
      expect(first).toMatchObject({ kind: 'retry' });
      expect(outcomesOf(first)[1]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('no comment: ABC-3 was not moved: Jira answered 503') });
      expect(jira.comments.get('ABC-3')).toBeUndefined();

      const second = await bridge.process(id, { attempt: 2 });
      expect(outcomesOf(second).map((outcome) => outcome.status)).toEqual(['sent', 'sent']);
      expect(jira.statusOf('ABC-3')).toBe('Done');
      expect(jira.comments.get('ABC-3')).toHaveLength(1);
    });

    it('comments on the retry after a moved issue whose comment failed, without moving it again', async () => {
      const bridge = harness();
      jira.fail('POST', /\/comment$/, { status: 503, body: 'Service unavailable' });
      const id = await bridge.store(push({ commits: [{ message: 'Fixes ABC-3, comment on the retry' }] }));
      expect(await bridge.process(id, { attempt: 1 })).toMatchObject({ kind: 'retry' });
      const second = await bridge.process(id, { attempt: 2 });
      expect(outcomesOf(second).map((outcome) => outcome.status)).toEqual(['skipped', 'sent']);
      expect(jira.writes().filter((request) => request.path.endsWith('/transitions'))).toHaveLength(1);
      expect(jira.comments.get('ABC-3')).toHaveLength(1);
    });

    it('prints the comment with the transition in local mode without credentials', async () => {
      const bridge = harness({}, { env: {}, print: true });
      await bridge.deliver(push({ commits: [{ message: 'Fixes ABC-1 printed locally' }] }));
      expect(bridge.printed).toEqual([expect.stringContaining('[jira] would move ABC-1'), expect.stringContaining('[jira] would link ABC-1 to commit')]);
    });
  });

  it('comments on a plain mention only when commentOnMention is on', async () => {
    const message = 'Refactor login (ABC-1)';
    const off = await harness().deliver(push({ commits: [{ message }] }));
    expect(outcomesOf(off)).toEqual([]);
    const on = await harness({ commentOnMention: true }).deliver(push({ commits: [{ message }] }));
    expect(outcomesOf(on).map((outcome) => [outcome.key, outcome.status])).toEqual([[`jira:ABC-1:commit:${shaFor(message)}:mention`, 'sent']]);
    expect(jira.comments.get('ABC-1')).toHaveLength(1);
  });

  it('ignores keys outside the project allowlist', async () => {
    jira.addIssue('OPS-1', 'To Do');
    const result = await harness({ projectKeys: ['ABC'] }).deliver(push({ commits: [{ message: 'Fixes ABC-1 and OPS-1' }] }));
    expect(outcomesOf(result).map((outcome) => outcome.target)).toEqual(['ABC-1', 'ABC-1']);
    expect(jira.statusOf('OPS-1')).toBe('To Do');
  });

  it('acts only for GitLab projects in jira.gitlabProjects when set', async () => {
    const bridge = harness({ gitlabProjects: ['platform/*'] });
    const outside = await bridge.deliver(push({ commits: [{ message: 'Fixes ABC-1 from elsewhere' }] }));
    expect(outcomesOf(outside)).toEqual([]);
    const inside = await bridge.deliver(push({ projectPath: 'platform/api', commits: [{ message: 'Fixes ABC-1 from platform' }] }));
    expect(outcomesOf(inside).map((outcome) => outcome.status)).toEqual(['sent', 'sent']);
  });

  it('prints what it would do in local mode without credentials', async () => {
    const bridge = harness({}, { env: {}, print: true });
    const result = await bridge.deliver(push({ commits: [{ message: 'ABC-1 #comment hello' }] }));
    expect(outcomesOf(result)).toEqual([expect.objectContaining({ status: 'skipped', reason: 'Jira credentials not configured: printed instead of sent' })]);
    expect(bridge.printed).toHaveLength(1);
    expect(bridge.printed[0]).toContain('[jira] would comment on ABC-1');
    expect(jira.requests).toEqual([]);
  });

  it('leaves a printed effect open, so it happens for real once credentials are set', async () => {
    const bridge = harness({}, { env: {}, print: true });
    const commits = [{ message: 'ABC-1 #comment printed twice' }];
    await bridge.deliver(push({ commits }));
    await bridge.deliver(push({ commits }));
    expect(bridge.printed).toHaveLength(2);
  });

  it('records a ConfigError when jira.auth does not match the credentials', async () => {
    const result = await harness({ auth: 'bearer' }).deliver(push({ commits: [{ message: 'ABC-1 #comment wrong auth kind' }] }));
    expect(outcomesOf(result)[0]).toMatchObject({
      status: 'failed',
      retryable: false,
      error: 'jira.auth is "bearer" but the Jira credentials hold an email and API token: set jira.auth to "basic" or store the other kind of credential',
    });
    expect(jira.requests).toEqual([]);
  });

  it('records a ConfigError (not retried) when deployed without credentials', async () => {
    const result = await harness({}, { env: {} }).deliver(push({ commits: [{ message: 'ABC-1 #comment hello from AWS' }] }));
    expect(result.kind).toBe('finished');
    expect(outcomesOf(result)[0]).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('no Jira credentials are set') });
  });
});

describe('merge requests', () => {
  function mergeRequest(overrides: Record<string, unknown>, projectId = 900): Record<string, unknown> {
    const base = readFixture('merge_request--open.json');
    const attributes = { ...(base.object_attributes as Record<string, unknown>), ...overrides };
    return { ...base, project: { ...(base.project as Record<string, unknown>), id: projectId }, object_attributes: attributes, changes: {} };
  }

  it('moves nothing by default', async () => {
    const result = await harness().deliver(mergeRequest({ title: 'ABC-1: login form', action: 'open' }));
    expect(outcomesOf(result)).toEqual([]);
    expect(jira.requests).toEqual([]);
  });

  it('moves issues named in title, branch or description to In Review on open, once', async () => {
    const bridge = harness({ mergeRequests: { onOpen: 'review' } });
    const event = mergeRequest(
      { iid: 5, title: 'ABC-1: login form', source_branch: 'feature/ABC-2-form', description: 'Also touches ABC-3', action: 'open' },
      901,
    );
    jira.setWorkflow([
      { id: '21', name: 'Start Review', to: 'In Review' },
      { id: '31', name: 'Done', to: 'Done' },
    ]);
    try {
      const result = await bridge.deliver(event);
      expect(
        outcomesOf(result)
          .filter((outcome) => outcome.key.endsWith(':review'))
          .map((outcome) => [outcome.key, outcome.status]),
      ).toEqual([
        ['jira:ABC-1:mr:901@gitlabhq/gitlab-test:5:review', 'sent'],
        ['jira:ABC-2:mr:901@gitlabhq/gitlab-test:5:review', 'sent'],
        ['jira:ABC-3:mr:901@gitlabhq/gitlab-test:5:review', 'sent'],
      ]);
      expect(['ABC-1', 'ABC-2', 'ABC-3'].map((key) => jira.statusOf(key))).toEqual(['In Review', 'In Review', 'In Review']);
      const writes = jira.writes().length;
      await bridge.deliver({ ...event, object_attributes: { ...(event.object_attributes as object), action: 'reopen' } });
      expect(jira.writes()).toHaveLength(writes);
    } finally {
      jira.setWorkflow((await import('../support/jira-server.js')).DEFAULT_WORKFLOW);
    }
  });

  it('moves issues to review when a draft MR is marked ready', async () => {
    jira.addIssue('ABC-2', 'In Progress');
    const event = {
      ...mergeRequest({ iid: 11, title: 'ABC-2: ready now', action: 'update', draft: false }, 904),
      changes: { draft: { previous: true, current: false } },
    };
    const result = await harness({ mergeRequests: { onOpen: 'review' } }).deliver(event);
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
      ['jira:ABC-2:mr:904@gitlabhq/gitlab-test:11:review', 'sent'],
      ['jira:ABC-2:mr:904@gitlabhq/gitlab-test:11:review:comment', 'sent'],
    ]);
    expect(jira.statusOf('ABC-2')).toBe('In Review');
  });

  it('does not move a draft MR to review', async () => {
    const result = await harness({ mergeRequests: { onOpen: 'review' } }).deliver(mergeRequest({ title: 'Draft: ABC-1 login', draft: true, action: 'open' }));
    expect(outcomesOf(result)).toEqual([]);
  });

  it('moves issues to Done when the MR is merged into the default branch', async () => {
    jira.addIssue('ABC-1', 'In Review');
    const result = await harness({ mergeRequests: { onMerge: 'close' } }).deliver(
      mergeRequest({ iid: 8, title: 'ABC-1: login form', action: 'merge', state: 'merged' }, 902),
    );
    expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status])).toEqual([
      ['jira:ABC-1:mr:902@gitlabhq/gitlab-test:8:merged', 'sent'],
      ['jira:ABC-1:mr:902@gitlabhq/gitlab-test:8:merged:comment', 'sent'],
    ]);
    expect(jira.statusOf('ABC-1')).toBe('Done');
  });

  describe('the MR link comment follows its transition', () => {
    it('adds no comment when the issue is already Done, and says why', async () => {
      jira.addIssue('ABC-1', 'Done');
      const result = await harness({ mergeRequests: { onMerge: 'close' } }).deliver(
        mergeRequest({ iid: 20, title: 'ABC-1: merged again', action: 'merge', state: 'merged' }, 910),
      );
      expect(outcomesOf(result).map((outcome) => [outcome.key, outcome.status, outcome.reason])).toEqual([
        ['jira:ABC-1:mr:910@gitlabhq/gitlab-test:20:merged', 'skipped', 'already in Done'],
        ['jira:ABC-1:mr:910@gitlabhq/gitlab-test:20:merged:comment', 'skipped', 'no comment: ABC-1 was not moved: already in Done'],
      ]);
      expect(jira.comments.get('ABC-1')).toBeUndefined();
    });

    it('adds no comment when Jira offers no review transition, and says why', async () => {
      jira.setWorkflow([{ id: '31', name: 'Done', to: 'Done' }]);
      try {
        const result = await harness({ mergeRequests: { onOpen: 'review' } }).deliver(
          mergeRequest({ iid: 21, title: 'ABC-2: no review step', action: 'open' }, 911),
        );
        expect(outcomesOf(result).map((outcome) => [outcome.status, outcome.reason])).toEqual([
          ['skipped', "no transition 'In Review' from 'To Do'"],
          ['skipped', "no comment: ABC-2 was not moved: no transition 'In Review' from 'To Do'"],
        ]);
        expect(jira.writes()).toEqual([]);
      } finally {
        jira.setWorkflow((await import('../support/jira-server.js')).DEFAULT_WORKFLOW);
      }
    });
  });

  it('does not close issues for an MR merged into another branch', async () => {
    const result = await harness({ mergeRequests: { onMerge: 'close' } }).deliver(
      mergeRequest({ title: 'ABC-1: backport', action: 'merge', target_branch: 'release/1.x' }, 903),
    );
    expect(outcomesOf(result)).toEqual([
      expect.objectContaining({ status: 'skipped', reason: expect.stringContaining("branch 'release/1.x' is not the default branch") }),
    ]);
    expect(jira.requests).toEqual([]);
  });
});
