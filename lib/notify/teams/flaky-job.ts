import { flakyLabel } from '../flaky.js';
import type { PipelineFacts } from '../pipeline-facts.js';
import { teamsLink, teamsText } from '../text.js';
import { card, factSet, fitMessage, openUrl, textBlock, type TeamsMessage } from './adaptive-card.js';

const MAX = { project: 200, ref: 200, jobName: 120 } as const;

/**
 * Teams cannot edit a card it was sent (Workflows webhooks only post), so a failed job that
 * passed on retry gets a short card of its own naming the failure notice it amends.
 */
export function jobFlakyCard(failure: PipelineFacts, job: { name: string; url: string }, count: number): TeamsMessage {
  return fitMessage(() =>
    card(
      [
        textBlock(`🔁 Job ${teamsText(job.name, MAX.jobName)} ${flakyLabel(count)}`, { weight: 'Bolder', color: 'Warning' }),
        textBlock(
          `It had failed ${teamsLink(failure.pipelineUrl, `pipeline #${failure.pipelineId}`)} on ${failure.isTag ? 'tag' : 'branch'} ${teamsText(failure.ref, MAX.ref)}.`,
          { spacing: 'Small' },
        ),
        factSet([
          ['Project', teamsLink(failure.projectUrl, failure.projectPath, MAX.project)],
          ['Job', teamsLink(job.url, job.name, MAX.jobName)],
        ]),
      ],
      [openUrl('View job', job.url), openUrl('View pipeline', failure.pipelineUrl)],
    ),
  );
}
