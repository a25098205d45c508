import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JiraTransition } from '../../lib/jira/gateway.js';
import { JiraJsGateway } from '../../lib/jira/jira-js-gateway.js';
import { chooseTransition, performTransition, type TransitionRequest } from '../../lib/jira/transition.js';
import { DEFAULT_WORKFLOW, startJiraServer, type JiraTestServer } from '../support/jira-server.js';

const offered: JiraTransition[] = [
  { id: '11', name: 'Start Progress', to: { name: 'In Progress' } },
  { id: '12', name: 'Start Review', to: { name: 'In Review' } },
  { id: '31', name: 'Resolve Issue', to: { name: 'Done' } },
  { id: '41', name: 'Finish Work', to: { name: 'Done' } },
];

const command = (name: string): TransitionRequest => ({ kind: 'command', name: name.replace(/-/g, ' '), command: name });

describe('chooseTransition (Atlassian smart commit rules, configured intents)', () => {
  it.each<{ name: string; request: TransitionRequest; expected: string }>([
    { name: 'matches a transition name case-insensitively', request: command('start-review'), expected: '12' },
    { name: 'matches the destination status name', request: command('in-progress'), expected: '11' },
    { name: 'matches the part of a name before its first space', request: command('resolve'), expected: '31' },
    { name: "finds 'finish work' from #finish (Atlassian's example)", request: command('finish'), expected: '41' },
    { name: 'picks a configured name by destination status', request: { kind: 'intent', intent: 'close', target: 'Done' }, expected: '31' },
    { name: 'picks configured ids in the order given', request: { kind: 'intent', intent: 'close', target: { ids: ['99', '41'] } }, expected: '41' },
    {
      name: 'picks the first of several configured names that is offered',
      request: { kind: 'intent', intent: 'review', target: { names: ['Code Review', 'Start Review'] } },
      expected: '12',
    },
  ])('$name', ({ request, expected }) => {
    const choice = chooseTransition(offered, request);
    expect(choice.kind === 'chosen' ? choice.transition.id : choice.kind).toBe(expected);
  });

  it('reports #start as ambiguous between Start Progress and Start Review', () => {
    const choice = chooseTransition(offered, command('start'));
    expect(choice).toEqual({ kind: 'ambiguous', candidates: [offered[0], offered[1]] });
  });

  it('reports none when nothing matches', () => {
    expect(chooseTransition(offered, command('deploy'))).toEqual({ kind: 'none' });
  });

  it('does not use the first-word rule for a multi-word command', () => {
    expect(chooseTransition(offered, command('start-testing'))).toEqual({ kind: 'none' });
  });
});

describe('performTransition against the Jira server', () => {
  let jira: JiraTestServer;
  let gateway: JiraJsGateway;
  const close: TransitionRequest = { kind: 'intent', intent: 'close', target: 'Done' };

  beforeAll(async () => {
    jira = await startJiraServer();
    gateway = new JiraJsGateway({ host: jira.url, credentials: { email: 'bot@example.com', apiToken: 't' } });
  });
  afterAll(async () => jira.close());
  beforeEach(() => {
    jira.reset();
    jira.setWorkflow(DEFAULT_WORKFLOW);
  });

  it('moves an issue and records from/to', async () => {
    jira.addIssue('ABC-1', 'In Progress');
    await expect(performTransition(gateway, 'ABC-1', close)).resolves.toEqual({
      result: { transitionId: '31', transition: 'Done', from: 'In Progress', to: 'Done' },
    });
    expect(jira.statusOf('ABC-1')).toBe('Done');
  });

  it('skips an issue already in the target status without asking for transitions', async () => {
    jira.addIssue('ABC-2', 'Done');
    await expect(performTransition(gateway, 'ABC-2', close)).resolves.toEqual({ skipped: 'already in Done' });
    expect(jira.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /rest/api/3/issue/ABC-2']);
  });

  it("skips with \"no transition 'Done' from 'Backlog'\" when the workflow has none", async () => {
    jira.addIssue('ABC-3', 'Backlog');
    await expect(performTransition(gateway, 'ABC-3', close)).resolves.toEqual({ skipped: "no transition 'Done' from 'Backlog'" });
    expect(jira.writes()).toEqual([]);
  });

  it('skips an ambiguous #start and changes nothing', async () => {
    jira.setWorkflow([
      { id: '11', name: 'Start Progress', to: 'In Progress' },
      { id: '12', name: 'Start Review', to: 'In Review' },
    ]);
    jira.addIssue('ABC-4', 'To Do');
    const result = await performTransition(gateway, 'ABC-4', command('start'));
    expect(result).toEqual({
      skipped: "#start is ambiguous from 'To Do': 'Start Progress', 'Start Review'; write the full name with hyphens, e.g. #start-progress",
    });
    expect(jira.writes()).toEqual([]);
    expect(jira.statusOf('ABC-4')).toBe('To Do');
  });

  it('does not move a done issue back to review', async () => {
    jira.addIssue('ABC-5', 'Done');
    await expect(performTransition(gateway, 'ABC-5', { kind: 'intent', intent: 'review', target: 'In Review' })).resolves.toEqual({
      skipped: 'already done (Done); not moved back to review',
    });
    expect(jira.writes()).toEqual([]);
  });
});
