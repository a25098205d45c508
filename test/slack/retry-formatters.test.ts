import { describe, expect, it } from 'vitest';
import { pipelineFacts } from '../../lib/notify/pipeline-facts.js';
import { formatPipelineFailed } from '../../lib/notify/slack/pipeline.js';
import { pipelineFailedCard } from '../../lib/notify/teams/pipeline.js';
import { decodeRetryValue, encodeRetryValue, readInteraction } from '../../lib/slack/interaction.js';
import { isAllowedResponseUrl } from '../../lib/slack/response-url.js';
import { markRetried } from '../../lib/slack/retry-planner.js';
import type { PipelineEvent } from '../../lib/gitlab/schemas.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { expectValidTeamsMessage } from '../notify/adaptive-card-validation.js';

const facts = pipelineFacts(pipelineEvent({ id: 77, status: 'failed', failedJobs: [{ name: 'rspec' }] }) as PipelineEvent);
const value = encodeRetryValue({
  projectId: 1,
  projectPath: 'acme/app',
  projectKey: '1@acme/app',
  pipelineId: 77,
  round: '20261130',
  pipelineUrl: facts.pipelineUrl,
});
type Block = { type: string; elements?: Array<Record<string, unknown>> };
const actionsOf = (blocks: unknown[]) => (blocks as Block[]).filter((block) => block.type === 'actions').flatMap((block) => block.elements ?? []);

describe('the Retry failed jobs button (Slack)', () => {
  it('is an action button carrying the pipeline, beside the link buttons, when offered', () => {
    const elements = actionsOf(formatPipelineFailed(facts, { retry: { value } }).blocks);
    expect(elements.map((element) => element.action_id)).toEqual(['view_pipeline', 'view_failures', 'retry_pipeline']);
    const retry = elements.at(-1)!;
    expect(retry).toMatchObject({ type: 'button', value, text: { text: 'Retry failed jobs' } });
    expect(retry).not.toHaveProperty('url');
    expect(decodeRetryValue(retry.value)).toMatchObject({ projectId: 1, pipelineId: 77, round: '20261130' });
  });

  it('is not there unless offered, nor on a fixed notice', () => {
    expect(actionsOf(formatPipelineFailed(facts).blocks).map((element) => element.action_id)).not.toContain('retry_pipeline');
    const fixed = formatPipelineFailed(facts, { retry: { value }, resolvedBy: { pipelineId: 78, pipelineUrl: `${facts.pipelineUrl}8` } });
    expect(actionsOf(fixed.blocks).map((element) => element.action_id)).not.toContain('retry_pipeline');
  });

  it('becomes "Retried by @x · 12:01" once used, in each reader\'s time zone', () => {
    const message = formatPipelineFailed(facts, { retry: { retriedBy: 'UALICE', at: 1_700_000_460 } });
    expect(actionsOf(message.blocks).map((element) => element.action_id)).not.toContain('retry_pipeline');
    expect(JSON.stringify(message.blocks)).toContain(':repeat: Retried by <@UALICE> · <!date^1700000460^{time}|22:21 UTC>');
  });

  it('markRetried swaps the clicked message’s button for the line, keeping the link buttons', () => {
    const blocks = formatPipelineFailed(facts, { retry: { value } }).blocks;
    const marked = markRetried(blocks, 'Retried by <@UBOB>')!;
    expect(actionsOf(marked).map((element) => element.action_id)).toEqual(['view_pipeline', 'view_failures']);
    expect(JSON.stringify(marked)).toContain('Retried by <@UBOB>');
    expect(markRetried(formatPipelineFailed(facts).blocks, 'x')).toBeUndefined();
  });
});

describe('Retry in GitLab (Teams)', () => {
  it('adds an Action.OpenUrl to the pipeline page, and the card validates with adaptivecards', () => {
    const content = expectValidTeamsMessage(pipelineFailedCard(facts, { retryLink: true }));
    expect(content.actions).toContainEqual({ type: 'Action.OpenUrl', title: 'Retry in GitLab', url: facts.pipelineUrl });
  });

  it('is not on the card unless interactions.retry is enabled', () => {
    const content = expectValidTeamsMessage(pipelineFailedCard(facts));
    expect(JSON.stringify(content.actions)).not.toContain('Retry in GitLab');
  });
});

describe('inbound interactions', () => {
  it.each([
    ['https://hooks.slack.com/actions/T1/1/abc', undefined, true],
    ['https://hooks.slack.com.evil.example/actions', undefined, false],
    ['http://hooks.slack.com/actions/T1/1/abc', undefined, false],
    ['https://evil.example/actions/T1', undefined, false],
    ['http://127.0.0.1:9000/actions/C1/1.2', 'http://127.0.0.1:9000/api/', true],
    ['http://127.0.0.1:9001/actions/C1/1.2', 'http://127.0.0.1:9000/api/', false],
    ['not a url', undefined, false],
  ])('response_url %s (SLACK_API_URL %s) may be answered: %s', (url, apiUrl, allowed) => {
    expect(isAllowedResponseUrl(url, apiUrl)).toBe(allowed);
  });

  it("keeps who clicked what and where to answer, not Slack's legacy verification token", () => {
    const read = readInteraction({
      type: 'block_actions',
      token: 'legacy-token',
      user: { id: 'U1', username: 'alice' },
      container: { message_ts: '1.2', channel_id: 'C1' },
      response_url: 'https://hooks.slack.com/actions/x',
      actions: [{ action_id: 'retry_pipeline', value }],
    });
    expect(read).toMatchObject({ interaction: { user: { id: 'U1', username: 'alice' }, action: { action_id: 'retry_pipeline', value } } });
    expect(JSON.stringify(read)).not.toContain('legacy-token');
  });

  it('reads a click on a link button as nothing to do', () => {
    expect(readInteraction({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'view_pipeline', url: 'https://x' }] })).toEqual({ link: true });
  });
});
