import { lateLine, MAX_LISTED_JOBS, sourceLabel, type LateNotice, type PipelineFacts } from '../pipeline-facts.js';
import type { JobExcerpts } from '../job-excerpts.js';
import type { AlsoFailing, StreakInfo } from '../ref-streak.js';
import { escapeTeams, formatDuration, humanize, teamsLink, teamsText } from '../text.js';
import { card, factSet, fitMessage, mention, openUrl, textBlock, type CardElement, type ShowCardAction, type TeamsMessage } from './adaptive-card.js';

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
export interface PipelineFailedCardOptions {
  /** The ref's red streak: with 2 or more failures the card says "still failing since #N (K pipelines)". */
  streak?: StreakInfo;
  /** A first failure after green or with no earlier result known: the card says it is new. */
  newFailure?: 'after-green' | 'unknown';
  /** Failed jobs that also fail on the MR's target branch. */
  alsoFailing?: AlsoFailing;
  /** The failed jobs' log excerpts (behind "Show log excerpts"), or why there are none. */
  excerpts?: JobExcerpts;
  /** The commit author as a Teams user (lib/notify/mentions): a `cc <at>Name</at>` line. */
  authorMention?: { id: string; name: string };
  /** Sent late (a delivery recovered from GitLab's hook log): one line says so. */
  late?: LateNotice;
  /**
   * `interactions.retry.enabled`: a "Retry in GitLab" link to the pipeline page, whose Retry
   * button retries the failed jobs. A link, not a button the bridge acts on: Teams Workflows
   * webhooks post cards one way and cannot receive card actions (Action.Submit/Action.Execute
   * need a bot registration), so Teams gets the way to retry in GitLab instead (docs/notices.md).
   */
  retryLink?: boolean;
}

function statusLine(facts: PipelineFacts, options: PipelineFailedCardOptions): string | undefined {
  const { streak } = options;
  if (streak && streak.count >= 2) {
    const since = streak.since ? `, first failed ${teamsText(streak.since, 40)}` : '';
    return `🔁 Still failing since ${teamsLink(streak.first.pipelineUrl, `pipeline #${streak.first.pipelineId}`)} (${streak.count} pipelines${since}).`;
  }
  const where = `${refKind(facts)} ${teamsText(facts.ref, MAX.ref)}`;
  if (options.newFailure === 'after-green') return `🆕 New failure: the last finished pipeline on ${where} had passed.`;
  if (options.newFailure === 'unknown') return `🆕 New failure: no earlier result is known for ${where}.`;
  return undefined;
}

export function pipelineFailedCard(facts: PipelineFacts, options: PipelineFailedCardOptions = {}): TeamsMessage {
  const status = statusLine(facts, options);
  const also = options.alsoFailing;
  const excerpts = options.excerpts;
  const author = options.authorMention ? mention(options.authorMention.id, options.authorMention.name) : undefined;
  return fitMessage((level) => {
    const listed = level >= 2 ? [] : facts.failedJobs.slice(0, MAX_LISTED_JOBS);
    const jobLines = listed.map((job) => {
      const name = level >= 1 ? teamsText(job.name, MAX.jobName) : teamsLink(job.url, job.name, MAX.jobName);
      const reason = job.failureReason ? ` — ${teamsText(humanize(job.failureReason), 80)}` : '';
      const alsoOn = also?.jobs.includes(job.name) ? ` · _also failing on ${teamsText(also.branch, MAX.ref)}_` : '';
      return `- ${name} (${teamsText(job.stage, MAX.stage)})${reason}${alsoOn}`;
    });
    const more = facts.failedJobCount - listed.length;
    if (more > 0)
      jobLines.push(
        `${listed.length > 0 ? '…and ' : ''}${more} ${listed.length > 0 ? 'more' : 'failed jobs'}: ${teamsLink(`${facts.pipelineUrl}/failures`, 'see all failures')}`,
      );
    const body: Array<CardElement | undefined> = [
      textBlock(`❌ Pipeline #${facts.pipelineId} failed on ${teamsText(facts.ref, MAX.ref)}`, { size: 'Large', weight: 'Bolder', color: 'Attention' }),
      status === undefined ? undefined : textBlock(status, { spacing: 'Small' }),
      options.late ? textBlock(`⏳ ${teamsText(lateLine(options.late, refKind(facts)), 300)}`, { isSubtle: true, size: 'Small', spacing: 'Small' }) : undefined,
      factSet([...commonFacts(facts, level), ['Failed stages', facts.failedStages.length > 0 ? teamsText(facts.failedStages.join(', '), 500) : undefined]]),
    ];
    if (jobLines.length > 0) {
      body.push(textBlock('Failed jobs', { weight: 'Bolder', spacing: 'Medium' }), textBlock(jobLines.join('\n'), { spacing: 'Small' }));
    }
    const logs = excerpts ? excerptParts(excerpts, level) : {};
    if (logs.unavailable) body.push(textBlock(logs.unavailable, { isSubtle: true, size: 'Small', spacing: 'Small' }));
    if (author) body.push(textBlock(`cc ${author.text} (commit author)`, { spacing: 'Medium' }));
    return card(
      body,
      [
        openUrl('View pipeline', facts.pipelineUrl),
        facts.failedJobCount > 0 ? openUrl('View failures', `${facts.pipelineUrl}/failures`) : undefined,
        options.retryLink && facts.failedJobCount > 0 ? openUrl('Retry in GitLab', facts.pipelineUrl) : undefined,
        logs.show,
      ],
      author ? [author] : [],
    );
  }, 4);
}

/** Characters of each excerpt kept per shrink level; at the last level the excerpts are left out. */
const EXCERPT_CHARS_BY_LEVEL = [2_500, 1_000, 400, 400];

/**
 * The failed jobs' log excerpts as a "Show log excerpts" ShowCard: per job a bold title and
 * the log in a Monospace TextBlock (escaped line by line, so log text makes no markdown), or
 * the one line saying why there are none.
 */
function excerptParts(excerpts: JobExcerpts, level: number): { show?: ShowCardAction; unavailable?: string } {
  if (excerpts.unavailable !== undefined) return { unavailable: `log excerpt unavailable: ${teamsText(excerpts.unavailable, 300)}` };
  const max = EXCERPT_CHARS_BY_LEVEL[level];
  if (max === undefined) return { unavailable: "log excerpts left out: the card would exceed Teams' 28 KB limit" };
  const items: CardElement[] = excerpts.jobs.flatMap((excerpt) => {
    const title = textBlock(`${teamsLink(excerpt.job.url, excerpt.job.name, MAX.jobName)} (${teamsText(excerpt.job.stage, MAX.stage)})`, {
      weight: 'Bolder',
      spacing: 'Medium',
    });
    if (excerpt.unavailable !== undefined) return [title, textBlock(`log excerpt unavailable: ${teamsText(excerpt.unavailable, 300)}`, { isSubtle: true })];
    const text = excerpt.text.length > max ? `…${excerpt.text.slice(excerpt.text.length - max + 1)}` : excerpt.text;
    const lines = text.split('\n').map((line) => escapeTeams(line));
    return [title, textBlock(lines.join('\n\n'), { fontType: 'Monospace', size: 'Small', spacing: 'Small' })];
  });
  return { show: { type: 'Action.ShowCard', title: 'Show log excerpts', card: { type: 'AdaptiveCard', body: items } } };
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
