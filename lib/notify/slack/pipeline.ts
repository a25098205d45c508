import { flakyLabel } from '../flaky.js';
import { MAX_LISTED_JOBS, sourceLabel, type PipelineFacts } from '../pipeline-facts.js';
import { formatDuration, humanize, slackLink, slackText } from '../text.js';
import { SLACK_LIMITS, buttons, context, fields, header, message, section, type SlackMessage } from './block-kit.js';

/** Bounds on single user-supplied strings, well inside the block limits they end up in. */
const MAX = { project: 200, ref: 200, title: 300, name: 100, jobName: 120, stage: 60 } as const;

export interface PipelineFailedOptions {
  /** Set when a later pipeline on the same ref passed: the notice is re-rendered as fixed. */
  resolvedBy?: { pipelineId: number; pipelineUrl: string };
  /** Failed jobs that passed when retried, by name, with how often they were flaky lately (lib/notify/flaky.ts). */
  flaky?: Readonly<Record<string, number>>;
}

function refKind(facts: PipelineFacts): string {
  return facts.isTag ? 'tag' : 'branch';
}

/** `acme/app` · branch `main` line shared by the pipeline notices. */
function whereLine(facts: PipelineFacts): string {
  return `${slackLink(facts.projectUrl, facts.projectPath, MAX.project)} · ${refKind(facts)} ${slackLink(facts.refUrl, facts.ref, MAX.ref)}`;
}

function commitLine(facts: PipelineFacts): string | undefined {
  if (!facts.commitTitle) return facts.sha ? facts.sha.slice(0, 8) : undefined;
  return slackLink(facts.commitUrl, facts.commitTitle, MAX.title);
}

function mergeRequestLine(facts: PipelineFacts): string | undefined {
  const mr = facts.mergeRequest;
  if (!mr) return undefined;
  return slackLink(mr.url, `!${mr.iid}${mr.title ? ` ${mr.title}` : ''}`, MAX.title);
}

/**
 * The failed-jobs section: at most 10 jobs, then "and N more" linking to the pipeline's
 * Failures tab. Lines are added while the section stays under Slack's 3000 characters, so a
 * long job name shortens the list rather than breaking a link.
 */
function failedJobsText(facts: PipelineFacts, flaky: Readonly<Record<string, number>> = {}): string | undefined {
  if (facts.failedJobCount === 0) return undefined;
  const title = '*Failed jobs*';
  const lines: string[] = [];
  const moreLine = (shown: number) => `…and ${facts.failedJobCount - shown} more: ${slackLink(`${facts.pipelineUrl}/failures`, 'see all failures')}`;
  // Room kept for the "and N more" line.
  const budget = SLACK_LIMITS.sectionText - moreLine(0).length - title.length - 4;
  let used = 0;
  for (const job of facts.failedJobs.slice(0, MAX_LISTED_JOBS)) {
    const reason = job.failureReason ? ` — ${slackText(humanize(job.failureReason), 80)}` : '';
    const count = Object.hasOwn(flaky, job.name) ? flaky[job.name] : undefined;
    const mark = count === undefined ? '' : ` · :repeat: ${flakyLabel(count)}`;
    const line = `• ${slackLink(job.url, job.name, MAX.jobName)} (${slackText(job.stage, MAX.stage)})${reason}${mark}`;
    if (used + line.length + 1 > budget) break;
    lines.push(line);
    used += line.length + 1;
  }
  if (lines.length < facts.failedJobCount) lines.push(moreLine(lines.length));
  return `${title}\n${lines.join('\n')}`;
}

function pipelineLabel(facts: PipelineFacts): string {
  return `#${facts.pipelineId}${facts.pipelineName ? ` (${facts.pipelineName})` : ''}`;
}

/**
 * The failure notice: project, ref, pipeline, commit, author, duration, source, failed stages
 * and jobs with their failure reason, and the merge request the pipeline ran for.
 */
export function formatPipelineFailed(facts: PipelineFacts, options: PipelineFailedOptions = {}): SlackMessage {
  const resolved = options.resolvedBy;
  const title = resolved
    ? `:white_check_mark: Fixed: pipeline #${facts.pipelineId} had failed on ${slackText(facts.ref, MAX.ref)}`
    : `:x: Pipeline #${facts.pipelineId} failed on ${slackText(facts.ref, MAX.ref)}`;
  const summary = `${resolved ? 'Fixed' : 'Failed'}: pipeline #${facts.pipelineId} in ${slackText(facts.projectPath, MAX.project)} on ${refKind(facts)} ${slackText(facts.ref, MAX.ref)}${
    facts.commitTitle ? `: ${slackText(facts.commitTitle, MAX.title)}` : ''
  }`;
  const jobs = failedJobsText(facts, options.flaky);
  return message(summary, [
    header(title),
    section(`${whereLine(facts)} · ${slackLink(facts.pipelineUrl, `pipeline ${pipelineLabel(facts)}`, MAX.title)}`),
    fields([
      ['Commit', commitLine(facts)],
      ['Author', facts.commitAuthor ? slackText(facts.commitAuthor, MAX.name) : undefined],
      ['Triggered by', facts.triggeredBy && facts.triggeredBy !== facts.commitAuthor ? slackText(facts.triggeredBy, MAX.name) : undefined],
      ['Duration', formatDuration(facts.durationSeconds)],
      ['Source', facts.source ? slackText(sourceLabel(facts.source), MAX.name) : undefined],
      ['Failed stages', facts.failedStages.length > 0 ? slackText(facts.failedStages.join(', '), 500) : undefined],
      ['Merge request', mergeRequestLine(facts)],
    ]),
    jobs === undefined ? undefined : section(jobs),
    resolved ? context(`:white_check_mark: Fixed by ${slackLink(resolved.pipelineUrl, `pipeline #${resolved.pipelineId}`)}`) : undefined,
    buttons([
      { text: 'View pipeline', url: facts.pipelineUrl, actionId: 'view_pipeline' },
      { text: 'View failures', url: facts.failedJobCount > 0 ? `${facts.pipelineUrl}/failures` : undefined, actionId: 'view_failures' },
    ]),
  ]);
}

/** Posted in the failure notice's thread when the ref goes green again. */
export function formatPipelineRecovered(
  facts: PipelineFacts,
  failed: { pipelineId: number; pipelineUrl: string; flakyJobs?: readonly string[] },
): SlackMessage {
  const flaky = failed.flakyJobs?.length ? ` Flaky (failed, then passed on retry): ${slackText(failed.flakyJobs.join(', '), 500)}.` : '';
  const since =
    failed.pipelineId === facts.pipelineId
      ? `fixed by retrying its failed jobs.${flaky}`
      : `fixed since ${slackLink(failed.pipelineUrl, `#${failed.pipelineId}`)} failed.`;
  const text = `:white_check_mark: ${slackLink(facts.pipelineUrl, `Pipeline #${facts.pipelineId}`)} passed on ${refKind(facts)} ${slackLink(facts.refUrl, facts.ref, MAX.ref)}: ${since}`;
  const fallback = `Fixed: pipeline #${facts.pipelineId} passed in ${slackText(facts.projectPath, MAX.project)} on ${refKind(facts)} ${slackText(facts.ref, MAX.ref)}`;
  return message(fallback, [
    section(text),
    fields([
      ['Commit', commitLine(facts)],
      ['Author', facts.commitAuthor ? slackText(facts.commitAuthor, MAX.name) : undefined],
      ['Duration', formatDuration(facts.durationSeconds)],
    ]),
  ]);
}

/** A passed pipeline, for routes with `notifyOnlyBrokenPipelines: false`. */
export function formatPipelinePassed(facts: PipelineFacts): SlackMessage {
  const fallback = `Passed: pipeline #${facts.pipelineId} in ${slackText(facts.projectPath, MAX.project)} on ${refKind(facts)} ${slackText(facts.ref, MAX.ref)}`;
  return message(fallback, [
    section(`:white_check_mark: ${slackLink(facts.pipelineUrl, `Pipeline ${pipelineLabel(facts)}`, MAX.title)} passed · ${whereLine(facts)}`),
    fields([
      ['Commit', commitLine(facts)],
      ['Author', facts.commitAuthor ? slackText(facts.commitAuthor, MAX.name) : undefined],
      ['Duration', formatDuration(facts.durationSeconds)],
      ['Source', facts.source ? slackText(sourceLabel(facts.source), MAX.name) : undefined],
      ['Merge request', mergeRequestLine(facts)],
    ]),
  ]);
}
