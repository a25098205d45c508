import { flakyLabel } from '../flaky.js';
import { lateLine, MAX_LISTED_JOBS, sourceLabel, type LateNotice, type PipelineFacts } from '../pipeline-facts.js';
import type { JobExcerpts } from '../job-excerpts.js';
import type { AlsoFailing, StreakInfo } from '../ref-streak.js';
import { escapeSlack, formatDuration, humanize, slackLink, slackText } from '../text.js';
import { RETRY_ACTION_ID } from '../../slack/interaction.js';
import { SLACK_LIMITS, actionButton, buttons, context, fields, header, message, section, type SlackMessage } from './block-kit.js';

/** Bounds on single user-supplied strings, well inside the block limits they end up in. */
const MAX = { project: 200, ref: 200, title: 300, name: 100, jobName: 120, stage: 60 } as const;

export interface PipelineFailedOptions {
  /** Set when a later pipeline on the same ref passed: the notice is re-rendered as fixed. */
  resolvedBy?: { pipelineId: number; pipelineUrl: string };
  /** The ref's red streak this notice heads: with 2 or more failures it says "failing for K pipelines since #N". */
  streak?: StreakInfo;
  /**
   * A first failure after green (`after-green`) or with no earlier result known (`unknown`):
   * the notice says it is a new failure.
   */
  newFailure?: 'after-green' | 'unknown';
  /** Failed jobs that also fail on the MR's target branch. */
  alsoFailing?: AlsoFailing;
  /** Slack member id of the commit author (lib/notify/mentions): the Author field becomes `<@U…>`. */
  authorMention?: string;
  /** Failed jobs that passed when retried, by name, with how often they were flaky lately (lib/notify/flaky.ts). */
  flaky?: Readonly<Record<string, number>>;
  /** Why the failed jobs' log excerpts cannot follow in the thread (no GitLab API token...): one line. */
  excerptsUnavailable?: string;
  /** Sent late (a delivery recovered from GitLab's hook log): one context line says so. */
  late?: LateNotice;
  /**
   * The "Retry failed jobs" button (docs/notices.md: Retry from Slack): `value` offers it (the
   * encoded RetryButtonValue); `retriedBy` (a Slack member id) and `at` (epoch seconds) replace it
   * with "Retried by @x · 12:01" once someone used it. Not shown on a fixed notice.
   */
  retry?: { value: string } | { retriedBy: string; at: number };
}

/** A Slack member id (`U…`, `W…` on Enterprise Grid); anything else is not written into `<@…>`. */
const MEMBER_ID = /^[UW][A-Z0-9]{2,30}$/;

function authorField(facts: PipelineFacts, mention: string | undefined): string | undefined {
  if (mention !== undefined && MEMBER_ID.test(mention)) return `<@${mention}>`;
  return facts.commitAuthor ? slackText(facts.commitAuthor, MAX.name) : undefined;
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
function failedJobsText(facts: PipelineFacts, alsoFailing?: AlsoFailing, flaky: Readonly<Record<string, number>> = {}): string | undefined {
  if (facts.failedJobCount === 0) return undefined;
  const title = '*Failed jobs*';
  const lines: string[] = [];
  const moreLine = (shown: number) => `…and ${facts.failedJobCount - shown} more: ${slackLink(`${facts.pipelineUrl}/failures`, 'see all failures')}`;
  // Room kept for the "and N more" line.
  const budget = SLACK_LIMITS.sectionText - moreLine(0).length - title.length - 4;
  let used = 0;
  for (const job of facts.failedJobs.slice(0, MAX_LISTED_JOBS)) {
    const reason = job.failureReason ? ` — ${slackText(humanize(job.failureReason), 80)}` : '';
    const also = alsoFailing?.jobs.includes(job.name) ? ` · _also failing on ${slackText(alsoFailing.branch, MAX.ref)}_` : '';
    const count = Object.hasOwn(flaky, job.name) ? flaky[job.name] : undefined;
    const mark = count === undefined ? '' : ` · :repeat: ${flakyLabel(count)}`;
    const line = `• ${slackLink(job.url, job.name, MAX.jobName)} (${slackText(job.stage, MAX.stage)})${reason}${also}${mark}`;
    if (used + line.length + 1 > budget) break;
    lines.push(line);
    used += line.length + 1;
  }
  if (lines.length < facts.failedJobCount) lines.push(moreLine(lines.length));
  return `${title}\n${lines.join('\n')}`;
}

/** "Failing for 3 pipelines since #40 (2026-02-01 10:00:00 UTC)", or undefined for a streak of one. */
function streakText(streak: StreakInfo | undefined, verb = 'Failing'): string | undefined {
  if (!streak || streak.count < 2) return undefined;
  const since = streak.since ? ` (${slackText(streak.since, 40)})` : '';
  return `${verb} for ${streak.count} pipelines since ${slackLink(streak.first.pipelineUrl, `#${streak.first.pipelineId}`)}${since}`;
}

function newFailureText(facts: PipelineFacts, newFailure: PipelineFailedOptions['newFailure']): string | undefined {
  if (newFailure === 'after-green') return `:new: New failure: the last finished pipeline on ${refKind(facts)} ${slackText(facts.ref, MAX.ref)} had passed.`;
  if (newFailure === 'unknown') return `:new: New failure: no earlier result is known for ${refKind(facts)} ${slackText(facts.ref, MAX.ref)}.`;
  return undefined;
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
  const jobs = failedJobsText(facts, options.alsoFailing, options.flaky);
  const offer = options.retry && 'value' in options.retry ? options.retry : undefined;
  const retried = options.retry && 'retriedBy' in options.retry ? options.retry : undefined;
  const streak = streakText(options.streak, resolved ? 'Had been failing' : 'Failing');
  const status = resolved ? undefined : streak ? `:repeat: ${streak}` : newFailureText(facts, options.newFailure);
  return message(summary, [
    header(title),
    status === undefined ? undefined : context(status),
    section(`${whereLine(facts)} · ${slackLink(facts.pipelineUrl, `pipeline ${pipelineLabel(facts)}`, MAX.title)}`),
    fields([
      ['Commit', commitLine(facts)],
      ['Author', authorField(facts, options.authorMention)],
      ['Triggered by', facts.triggeredBy && facts.triggeredBy !== facts.commitAuthor ? slackText(facts.triggeredBy, MAX.name) : undefined],
      ['Duration', formatDuration(facts.durationSeconds)],
      ['Source', facts.source ? slackText(sourceLabel(facts.source), MAX.name) : undefined],
      ['Failed stages', facts.failedStages.length > 0 ? slackText(facts.failedStages.join(', '), 500) : undefined],
      ['Merge request', mergeRequestLine(facts)],
    ]),
    jobs === undefined ? undefined : section(jobs),
    options.late && !resolved ? context(`:hourglass: ${slackText(lateLine(options.late, refKind(facts)), 300)}`) : undefined,
    options.excerptsUnavailable && !resolved ? context(`log excerpt unavailable: ${slackText(options.excerptsUnavailable, 300)}`) : undefined,
    resolved
      ? context(`:white_check_mark: Fixed by ${slackLink(resolved.pipelineUrl, `pipeline #${resolved.pipelineId}`)}${streak ? ` · ${streak}` : ''}`)
      : undefined,
    retried ? context(retriedText(retried.retriedBy, retried.at)) : undefined,
    withRetryButton(
      buttons([
        { text: 'View pipeline', url: facts.pipelineUrl, actionId: 'view_pipeline' },
        { text: 'View failures', url: facts.failedJobCount > 0 ? `${facts.pipelineUrl}/failures` : undefined, actionId: 'view_failures' },
      ]),
      resolved || !offer ? undefined : actionButton('Retry failed jobs', RETRY_ACTION_ID, offer.value),
    ),
  ]);
}

/** `:repeat: Retried by <@U…> · 12:01`, the time shown in each reader's own time zone (Slack's `<!date>`). */
export function retriedText(memberId: string, atEpochSeconds: number): string {
  const who = MEMBER_ID.test(memberId) ? `<@${memberId}>` : slackText(memberId, MAX.name);
  const fallback = new Date(atEpochSeconds * 1000).toISOString().slice(11, 16);
  return `:repeat: Retried by ${who} · <!date^${Math.floor(atEpochSeconds)}^{time}|${fallback} UTC>`;
}

function withRetryButton(block: ReturnType<typeof buttons>, button: ReturnType<typeof actionButton>): ReturnType<typeof buttons> {
  if (!button) return block;
  return { type: 'actions', elements: [...(block?.elements ?? []), button] };
}

/**
 * A failure while the ref is already red, posted in the streak parent's thread: short (what
 * failed this time, which commit, its author: mentioned when `authorMention` is a member id,
 * as in the notice), the parent carries the rest.
 */
export function formatPipelineFailedReply(facts: PipelineFacts, streak: StreakInfo, alsoFailing?: AlsoFailing, authorMention?: string): SlackMessage {
  const text = `:x: ${slackLink(facts.pipelineUrl, `Pipeline ${pipelineLabel(facts)}`, MAX.title)} failed again on ${refKind(facts)} ${slackLink(facts.refUrl, facts.ref, MAX.ref)}: still failing since ${slackLink(
    streak.first.pipelineUrl,
    `#${streak.first.pipelineId}`,
  )} (${streak.count} pipelines).`;
  const fallback = `Still failing: pipeline #${facts.pipelineId} in ${slackText(facts.projectPath, MAX.project)} on ${refKind(facts)} ${slackText(facts.ref, MAX.ref)} (${streak.count} pipelines since #${streak.first.pipelineId})`;
  const jobs = failedJobsText(facts, alsoFailing);
  return message(fallback, [
    section(text),
    fields([
      ['Commit', commitLine(facts)],
      ['Author', authorField(facts, authorMention)],
      ['Merge request', mergeRequestLine(facts)],
    ]),
    jobs === undefined ? undefined : section(jobs),
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
      : `fixed since ${slackLink(failed.pipelineUrl, `#${failed.pipelineId}`)} failed.${flaky}`;
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

/** A log excerpt inside a mrkdwn code block: escaped, and no ``` of its own to end the block early. */
function preformatted(text: string): string {
  const escape = (raw: string) => escapeSlack(raw).replace(/```/g, '`\u200b`\u200b`');
  // Room for the fences and a leading `…`; cut from the start, where the log matters least.
  const room = SLACK_LIMITS.sectionText - 10;
  let raw = text;
  while (escape(raw).length > room) {
    raw = raw.slice(Math.max(1, escape(raw).length - room));
    if (/^[\udc00-\udfff]/.test(raw)) raw = raw.slice(1);
  }
  return `\`\`\`\n${raw === text ? '' : '…'}${escape(raw)}\n\`\`\``;
}

/**
 * The thread reply under a failure notice: per failed job (at most 3) its name linking to the
 * job and the last lines of its log in a code block, or the one line saying why there is none.
 * Two blocks a job keep it far inside Slack's 50 blocks; each block within 3000 characters.
 */
export function formatPipelineExcerpts(facts: PipelineFacts, excerpts: JobExcerpts): SlackMessage {
  const summary = `Log excerpts of pipeline #${facts.pipelineId}'s failed jobs`;
  if (excerpts.unavailable !== undefined) return message(summary, [section(`log excerpt unavailable: ${slackText(excerpts.unavailable, 300)}`)]);
  const blocks = excerpts.jobs.flatMap((excerpt) => {
    const title = `*${slackLink(excerpt.job.url, excerpt.job.name, MAX.jobName)}* (${slackText(excerpt.job.stage, MAX.stage)})`;
    if (excerpt.unavailable !== undefined) return [section(`${title}\nlog excerpt unavailable: ${slackText(excerpt.unavailable, 300)}`)];
    return [section(title), section(preformatted(excerpt.text))];
  });
  return message(summary, blocks);
}
