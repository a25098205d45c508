import { describe, expect, it } from 'vitest';
import { lateLine, pipelineFacts } from '../../lib/notify/pipeline-facts.js';
import { formatPipelineFailed } from '../../lib/notify/slack/pipeline.js';
import { pipelineFailedCard } from '../../lib/notify/teams/pipeline.js';
import type { PipelineEvent } from '../../lib/gitlab/schemas.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';

describe('the late line of a recovered failure notice', () => {
  it.each([
    [{ failedAt: '2026-01-16T09:30:12.000Z', recoveredSince: false }, "late: recovered from GitLab's hook log, failed at 2026-01-16 09:30 UTC"],
    [
      { failedAt: '2026-01-16T09:30:12.000Z', recoveredSince: true },
      "late: recovered from GitLab's hook log, failed at 2026-01-16 09:30 UTC · the branch has recovered since",
    ],
    [{ failedAt: 'not a time', recoveredSince: false }, "late: recovered from GitLab's hook log, failed at an unknown time"],
  ])('%j reads %s', (late, line) => {
    expect(lateLine(late, 'branch')).toBe(line);
  });

  it('is one context line of the Slack notice and one line of the Teams card, and absent on a notice on time', () => {
    const facts = pipelineFacts(pipelineEvent({ status: 'failed', failedJobs: 1 }) as unknown as PipelineEvent);
    const late = { failedAt: '2026-01-16T09:30:12.000Z', recoveredSince: true };
    expect(JSON.stringify(formatPipelineFailed(facts, { late }).blocks)).toContain("late: recovered from GitLab's hook log");
    expect(JSON.stringify(formatPipelineFailed(facts).blocks)).not.toContain('late:');
    expect(JSON.stringify(pipelineFailedCard(facts, { late }))).toContain('the branch has recovered since');
    expect(JSON.stringify(pipelineFailedCard(facts))).not.toContain('late:');
  });
});
