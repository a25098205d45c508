import { MAX_LISTED_JOBS, sourceLabel, type PipelineFacts } from '../pipeline-facts.js';
import { formatDuration, humanize, teamsLink, teamsText } from '../text.js';
import { card, factSet, fitMessage, openUrl, textBlock, type CardElement, type TeamsMessage } from './adaptive-card.js';

const MAX = { project: 200, ref: 200, title: 300, name: 100, jobName: 120, stage: 60 } as const;

function refKind(facts: PipelineFacts): string {
  return facts.isTag ? 'tag' : 'branch';
}

function commonFacts(facts: PipelineFacts, detail: number): Array<readonly [string, string | undefined]> {
  const mr = facts.mergeRequest;
  return [
    ['Project', teamsLink(facts.projectUrl, facts.projectPath, MAX.project)],
    [refKind(facts) === 'tag' ? 'Tag' : 'Branch', teamsLink(facts.refUrl, facts.ref, MAX.ref)],
    ['Pipeline', teamsLink(facts.pipelineUrl, `#${facts.pipelineId}${facts.pipelineName ? ` (${facts.pipelineName})` : ''}`, MAX.title)],
    ['Commit', facts.commitTitle ? teamsLink(facts.commitUrl, facts.commitTitle, detail > 0 ? 80 : MAX.title) : facts.sha.slice(0, 8)],
    ['Author', facts.commitAuthor ? teamsText(facts.commitAuthor, MAX.name) : undefined],
    ['Triggered by', facts.triggeredBy && facts.triggeredBy !== facts.commitAuthor ? teamsText(facts.triggeredBy, MAX.name) : undefined],
    ['Duration', formatDuration(facts.durationSeconds)],
    ['Source', facts.source ? teamsText(sourceLabel(facts.source), MAX.name) : undefined],
    ['Merge request', mr ? teamsLink(mr.url, `!${mr.iid}${mr.title ? ` ${mr.title}` : ''}`, detail > 0 ? 80 : MAX.title) : undefined],
  ];
}

/**
 * Failure card: the same facts as the Slack notice. Shrink levels drop job links, then the job
 * list (the Failures tab still has it), to stay under Teams' 28 KB.
 */
export function pipelineFailedCard(facts: PipelineFacts): TeamsMessage {
  return fitMessage((level) => {
    const listed = level >= 2 ? [] : facts.failedJobs.slice(0, MAX_LISTED_JOBS);
    const jobLines = listed.map((job) => {
      const name = level >= 1 ? teamsText(job.name, MAX.jobName) : teamsLink(job.url, job.name, MAX.jobName);
      const reason = job.failureReason ? ` — ${teamsText(humanize(job.failureReason), 80)}` : '';
      return `- ${name} (${teamsText(job.stage, MAX.stage)})${reason}`;
    });
    const more = facts.failedJobCount - listed.length;
    if (more > 0)
      jobLines.push(
        `${listed.length > 0 ? '…and ' : ''}${more} ${listed.length > 0 ? 'more' : 'failed jobs'}: ${teamsLink(`${facts.pipelineUrl}/failures`, 'see all failures')}`,
      );
    const body: Array<CardElement | undefined> = [
      textBlock(`❌ Pipeline #${facts.pipelineId} failed on ${teamsText(facts.ref, MAX.ref)}`, { size: 'Large', weight: 'Bolder', color: 'Attention' }),
      factSet([...commonFacts(facts, level), ['Failed stages', facts.failedStages.length > 0 ? teamsText(facts.failedStages.join(', '), 500) : undefined]]),
    ];
    if (jobLines.length > 0) {
      body.push(textBlock('Failed jobs', { weight: 'Bolder', spacing: 'Medium' }), textBlock(jobLines.join('\n'), { spacing: 'Small' }));
    }
    return card(body, [
      openUrl('View pipeline', facts.pipelineUrl),
      facts.failedJobCount > 0 ? openUrl('View failures', `${facts.pipelineUrl}/failures`) : undefined,
    ]);
  });
}

/** Recovery card: Teams has no threads, so it names the failure it follows. */
export function pipelineRecoveredCard(facts: PipelineFacts, failed: { pipelineId: number; pipelineUrl: string; flakyJobs?: readonly string[] }): TeamsMessage {
  const flaky = failed.flakyJobs?.length ? ` Flaky (failed, then passed on retry): ${teamsText(failed.flakyJobs.join(', '), 500)}.` : '';
  return fitMessage((level) =>
    card(
      [
        textBlock(`✅ Fixed: pipeline #${facts.pipelineId} passed on ${teamsText(facts.ref, MAX.ref)}`, { size: 'Large', weight: 'Bolder', color: 'Good' }),
        textBlock(
          failed.pipelineId === facts.pipelineId
            ? `The ${refKind(facts)} is green again: the failed jobs passed when retried.${flaky}`
            : `The ${refKind(facts)} is green again after ${teamsLink(failed.pipelineUrl, `pipeline #${failed.pipelineId}`)} failed.`,
        ),
        factSet(commonFacts(facts, level)),
      ],
      [openUrl('View pipeline', facts.pipelineUrl)],
    ),
  );
}

/** A passed pipeline, for routes with `notifyOnlyBrokenPipelines: false`. */
export function pipelinePassedCard(facts: PipelineFacts): TeamsMessage {
  return fitMessage((level) =>
    card(
      [
        textBlock(`✅ Pipeline #${facts.pipelineId} passed on ${teamsText(facts.ref, MAX.ref)}`, { size: 'Large', weight: 'Bolder', color: 'Good' }),
        factSet(commonFacts(facts, level)),
      ],
      [openUrl('View pipeline', facts.pipelineUrl)],
    ),
  );
}
