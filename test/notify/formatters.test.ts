import { describe, expect, it } from 'vitest';
import { MergeRequestEventSchema, PipelineEventSchema } from '../../lib/gitlab/schemas.js';
import { mergeRequestAction, mergeRequestFacts } from '../../lib/notify/merge-request-facts.js';
import { compactPipelineFacts, pipelineFacts, sourceLabel, type PipelineFacts } from '../../lib/notify/pipeline-facts.js';
import { formatMergeRequestParent, formatMergeRequestReply } from '../../lib/notify/slack/merge-request.js';
import { formatPipelineFailed, formatPipelinePassed, formatPipelineRecovered } from '../../lib/notify/slack/pipeline.js';
import { mergeRequestCard } from '../../lib/notify/teams/merge-request.js';
import { pipelineFailedCard, pipelinePassedCard, pipelineRecoveredCard } from '../../lib/notify/teams/pipeline.js';
import { MERGE_REQUEST_ACTIONS } from '../../lib/routing/schema.js';
import { mergeRequestEvent } from '../fixtures/builders/merge-request.js';
import { pipelineEvent, type PipelineSpec } from '../fixtures/builders/pipeline.js';
import { readFixture } from '../support/gitlab-fixtures.js';
import { expectValidTeamsMessage } from './adaptive-card-validation.js';
import { allSlackTexts, expectWithinSlackLimits } from './slack-limits.js';

const facts = (spec: PipelineSpec = {}): PipelineFacts => pipelineFacts(PipelineEventSchema.parse(pipelineEvent(spec)));

describe('pipelineFacts', () => {
  it('reads GitLab’s documented example: the failed build counts, the skipped and created ones do not', () => {
    const read = pipelineFacts(PipelineEventSchema.parse(readFixture('pipeline--success.json')));
    expect(read).toMatchObject({
      projectPath: 'gitlab-org/gitlab-test',
      pipelineId: 31,
      // GitLab's example puts the pipeline's URL on example.com, off the project's origin: the
      // notice links the pipeline URL built from the project's instead.
      pipelineUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31',
      ref: 'master',
      isTag: false,
      refUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/tree/master',
      commitTitle: 'test',
      commitAuthor: 'User',
      triggeredBy: 'Administrator',
      durationSeconds: 63,
      source: 'merge_request_event',
      failedStages: ['test'],
      failedJobCount: 1,
      mergeRequest: { iid: 1, title: 'Test', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1' },
    });
    expect(read.failedJobs).toEqual([
      { id: 378, name: 'test-build', stage: 'test', failureReason: 'script_failure', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/378' },
    ]);
  });

  it.each<[string, PipelineSpec, string[]]>([
    ['a retried job that passed does not count', { retriedThenPassed: ['e2e'], failedJobs: [] }, []],
    ['a job that failed twice counts once', { failedJobs: [{ name: 'e2e' }, { name: 'e2e' }] }, ['e2e']],
    ['allowed failures do not count', { failedJobs: [{ name: 'lint', allowFailure: true }, { name: 'unit' }] }, ['unit']],
    [
      'ordered by stage, then name',
      {
        failedJobs: [
          { name: 'b', stage: 'deploy' },
          { name: 'z', stage: 'build' },
          { name: 'a', stage: 'deploy' },
        ],
      },
      ['z', 'a', 'b'],
    ],
  ])('%s', (_name, spec, names) => {
    expect(facts(spec).failedJobs.map((job) => job.name)).toEqual(names);
  });

  it('the latest attempt decides whatever order GitLab lists the builds in (newest first here)', () => {
    const event = pipelineEvent({ retriedThenPassed: ['e2e'], failedJobs: [{ name: 'lint' }] }) as { builds: Array<Record<string, unknown>> };
    const reversed = PipelineEventSchema.parse({ ...event, builds: [...event.builds].reverse() });
    expect(pipelineFacts(reversed).failedJobs.map((job) => job.name)).toEqual(['lint']);
  });

  it('a tag pipeline links the tag', () => {
    expect(facts({ ref: 'v1.2.0', tag: true })).toMatchObject({ isTag: true, refUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/tags/v1.2.0' });
  });

  it.each([
    ['push', 'push'],
    ['schedule', 'schedule'],
    ['merge_request_event', 'merge request'],
    ['parent_pipeline', 'parent pipeline'],
    ['some_new_source', 'some new source'],
  ])('source %s reads as %s', (source, label) => {
    expect(sourceLabel(source)).toBe(label);
  });

  it('compacting keeps the jobs a notice lists and the real count, so the re-rendered notice is the same', () => {
    const full = facts({ failedJobs: 200 });
    const compact = compactPipelineFacts(full);
    expect(compact.failedJobs).toHaveLength(10);
    expect(compact.failedJobCount).toBe(200);
    expect(formatPipelineFailed(compact)).toEqual(formatPipelineFailed(full));
    expect(JSON.stringify(compactPipelineFacts(facts({ commitTitle: 'x'.repeat(100_000), failedJobs: 500 }))).length).toBeLessThan(20_000);
  });
});

/** Hostile, oversized inputs every formatter must survive within limits. */
const extremes: Array<[string, PipelineSpec]> = [
  ['plain', {}],
  ['200 failed jobs', { failedJobs: 200 }],
  ['10 kB commit title', { commitTitle: 'T'.repeat(10_240) }],
  [
    'long job names',
    { failedJobs: Array.from({ length: 12 }, (_, i) => ({ name: `${i}-${'n'.repeat(2000)}`, stage: 's'.repeat(500), failureReason: 'r'.repeat(500) })) },
  ],
  [
    'hostile text everywhere',
    {
      commitTitle: '<!channel> <https://evil|x> [y](https://evil) & *z*',
      commitAuthor: '<!here>',
      userName: '<@U1>',
      ref: '<!subteam^S1>',
      failedJobs: [{ name: '<!everyone>', stage: '<b>' }],
      mergeRequest: { iid: 1, title: '<!channel>' },
    },
  ],
  ['no commit, no duration, no MR', { duration: null, mergeRequest: null }],
];

describe('Slack pipeline formatters stay within Block Kit limits and escape', () => {
  it.each(extremes)('%s', (_name, spec) => {
    const read = facts(spec);
    for (const message of [
      formatPipelineFailed(read),
      formatPipelineFailed(read, { resolvedBy: { pipelineId: 99, pipelineUrl: 'https://g.example/p/99' } }),
      formatPipelineRecovered(read, { pipelineId: 1, pipelineUrl: 'https://g.example/p/1' }),
      formatPipelinePassed(read),
    ]) {
      expectWithinSlackLimits(message as unknown as Record<string, unknown>);
      const texts = allSlackTexts(message as unknown as Record<string, unknown>).join('\n');
      expect(texts).not.toMatch(/<![a-z]|<@|<https:\/\/evil/);
      // Links are never cut in half: every `<` opens a link that closes.
      for (const text of allSlackTexts(message as unknown as Record<string, unknown>)) {
        expect(text.split('<').length).toBe(text.split('>').length);
      }
    }
  });

  it('failed jobs beyond what fits in a section still show the true remainder', () => {
    const message = formatPipelineFailed(facts({ failedJobs: Array.from({ length: 12 }, (_, i) => ({ name: `${i}-${'n'.repeat(2000)}` })) }));
    const jobs = message.blocks.find((block) => block.type === 'section' && block.text?.text.startsWith('*Failed jobs*'));
    const text = jobs?.type === 'section' ? (jobs.text?.text ?? '') : '';
    const listed = text.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(listed).toBeGreaterThan(0);
    expect(text).toContain(`…and ${12 - listed} more`);
  });
});

describe('Teams pipeline cards validate and stay under 28 KB', () => {
  it.each(extremes)('%s', (_name, spec) => {
    const read = facts(spec);
    expectValidTeamsMessage(pipelineFailedCard(read));
    expectValidTeamsMessage(pipelineRecoveredCard(read, { pipelineId: 1, pipelineUrl: 'https://g.example/p/1' }));
    expectValidTeamsMessage(pipelinePassedCard(read));
  });
});

describe('merge request formatters', () => {
  it.each([
    ['open', 'opened'],
    ['reopen', 'reopened'],
    ['close', 'closed'],
    ['merge', 'merged'],
    ['approved', 'approved'],
    ['approval', 'approved'],
    ['unapproved', 'unapproved'],
    ['unapproval', 'unapproved'],
    ['update', undefined],
  ])('GitLab action %s -> %s', (action, expected) => {
    expect(mergeRequestAction(MergeRequestEventSchema.parse(mergeRequestEvent({ action })))).toBe(expected);
  });

  it('an update that marks the MR ready counts as opened', () => {
    expect(mergeRequestAction(MergeRequestEventSchema.parse(mergeRequestEvent({ action: 'update', markedReady: true })))).toBe('opened');
  });

  it('reads GitLab’s documented open example', () => {
    const read = mergeRequestFacts(MergeRequestEventSchema.parse(readFixture('merge_request--open-v19.json')));
    expect(read).toMatchObject({
      iid: 16,
      title: 'Add input validation to booking form',
      author: 'Alex Garcia',
      sourceBranch: 'feature/booking-validation',
      targetBranch: 'main',
      reviewers: ['Sidney Jones'],
      draft: false,
    });
  });

  const hostile = mergeRequestFacts(
    MergeRequestEventSchema.parse(
      mergeRequestEvent({
        title: `<!channel> [x](https://evil) ${'t'.repeat(10_240)}`,
        reviewers: Array.from({ length: 300 }, (_, i) => `<!here> reviewer ${i}`),
        sourceBranch: 'b'.repeat(1000),
      }),
    ),
  );

  it.each(MERGE_REQUEST_ACTIONS)('%s: Slack parent and reply within limits, Teams card valid', (action) => {
    for (const message of [
      formatMergeRequestParent(hostile, 'open'),
      formatMergeRequestParent(hostile, 'merged', '<!channel>'),
      formatMergeRequestReply(hostile, action),
    ]) {
      expectWithinSlackLimits(message as unknown as Record<string, unknown>);
      expect(allSlackTexts(message as unknown as Record<string, unknown>).join('\n')).not.toMatch(/<!|<https:\/\/evil/);
    }
    expectValidTeamsMessage(mergeRequestCard(hostile, action));
  });
});
