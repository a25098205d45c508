import type { GitLabAccess } from '../gitlab/api.js';
import { GitLabUnavailable } from '../gitlab/api-client.js';
import { logExcerpt } from './log-excerpt.js';
import type { FailedJob, PipelineFacts } from './pipeline-facts.js';

/** Issue 11: excerpts of at most 3 failed jobs, each read from the last 512 KiB of its log. */
export const EXCERPT_JOBS = 3;
export const TRACE_TAIL_BYTES = 512 * 1024;

/** A failed job's log excerpt, or why there is none (`GitLab answered 403`). */
export type JobExcerpt = { job: FailedJob; text: string; unavailable?: undefined } | { job: FailedJob; unavailable: string; text?: undefined };

/** What a failure notice adds: excerpts per job, or one reason for all (no token, no client). */
export type JobExcerpts = { jobs: JobExcerpt[]; unavailable?: undefined } | { unavailable: string; jobs?: undefined };

/**
 * The log excerpts of the first failed jobs (facts list only jobs that failed the pipeline, not
 * those allowed to fail), fetched in parallel; undefined when there is none or GitLab's API is
 * not wired at all (tests, tools). Never throws: a missing token or a GitLab error
 * becomes the reason the notice shows instead.
 */
export async function fetchJobExcerpts(facts: PipelineFacts, access: GitLabAccess | undefined): Promise<JobExcerpts | undefined> {
  const jobs = facts.failedJobs.slice(0, EXCERPT_JOBS);
  if (jobs.length === 0 || !access) return undefined;
  // A failure notice goes to each routed Slack channel: the logs are read once per access (the
  // notify planner makes one per delivery, lib/gitlab/access.ts withGitLabBudget), not per channel.
  let fetched = excerptsByAccess.get(access);
  if (!fetched) excerptsByAccess.set(access, (fetched = new Map()));
  const key = `${facts.projectUrl}\n${facts.projectId}\n${jobs.map((job) => job.id).join(',')}`;
  let excerpts = fetched.get(key);
  if (!excerpts) {
    if (fetched.size >= MAX_MEMOISED_PIPELINES) fetched.delete(fetched.keys().next().value!);
    fetched.set(key, (excerpts = readExcerpts(facts, jobs, access)));
  }
  return excerpts;
}

/** Per access (one a delivery), per project and jobs: the excerpts read, or being read. */
const excerptsByAccess = new WeakMap<GitLabAccess, Map<string, Promise<JobExcerpts>>>();
/** A delivery is about one pipeline; a long-lived access (tests, tools) keeps at most this many. */
const MAX_MEMOISED_PIPELINES = 20;

async function readExcerpts(facts: PipelineFacts, jobs: readonly FailedJob[], access: GitLabAccess): Promise<JobExcerpts> {
  let client;
  try {
    client = await access.forProject(facts.projectUrl);
  } catch (error) {
    return { unavailable: reasonOf(error) };
  }
  if (!client.api) return { unavailable: client.unavailable };
  const api = client.api;
  const excerpts = await Promise.all(
    jobs.map(async (job): Promise<JobExcerpt> => {
      try {
        const text = logExcerpt(await api.jobTrace(facts.projectId, job.id, TRACE_TAIL_BYTES));
        return text === '' ? { job, unavailable: 'the log is empty' } : { job, text };
      } catch (error) {
        return { job, unavailable: reasonOf(error) };
      }
    }),
  );
  // One line for all when every job failed the same way (the usual case: a 403, a timeout).
  const reasons = new Set(excerpts.map((excerpt) => excerpt.unavailable));
  const [only] = reasons;
  if (reasons.size === 1 && only !== undefined) return { unavailable: only };
  return { jobs: excerpts };
}

function reasonOf(error: unknown): string {
  return error instanceof GitLabUnavailable ? error.reason : 'the GitLab lookup failed';
}
