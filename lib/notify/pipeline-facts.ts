import type { PipelineBuild, PipelineEvent } from '../gitlab/schemas.js';
import { shortRef } from '../gitlab/events.js';
import { projectKey } from '../gitlab/project-identity.js';
import { onOrigin } from '../gitlab/links.js';
import { firstLine, truncate } from './text.js';

/** A job that made the pipeline fail. */
export interface FailedJob {
  id: number;
  name: string;
  stage: string;
  /** GitLab's `failure_reason`, e.g. `script_failure`, when it sent one. */
  failureReason?: string;
  url: string;
}

/**
 * What a pipeline notice says, read once from the GitLab payload. Slack and Teams formatters
 * render the same facts, and a failure's facts are kept (compacted) in the state store so the
 * notice can be re-rendered as "fixed" when the ref recovers.
 */
export interface PipelineFacts {
  projectId: number;
  /** `id@path` (see projectKey): the project part of state and effect keys. */
  projectKey: string;
  projectPath: string;
  projectUrl: string;
  pipelineId: number;
  pipelineUrl: string;
  /**
   * Which run of the pipeline this event ends: retrying a job reopens a finished pipeline under
   * the same id, and each run finishes at its own `finished_at` (as digits). Empty when GitLab
   * sent no time. A redelivery of the same event carries the same round.
   */
  round: string;
  /** GitLab's `finished_at` as sent (bounded), for "failing since"; absent when it sent none. */
  finishedAt?: string;
  /** Pipeline name (`workflow:name`), when set. */
  pipelineName?: string;
  status: string;
  ref: string;
  isTag: boolean;
  refUrl: string;
  defaultBranch?: string;
  sha: string;
  commitTitle?: string;
  commitUrl?: string;
  commitAuthor?: string;
  /** Who ran the pipeline. */
  triggeredBy?: string;
  durationSeconds?: number;
  /** GitLab's `source`: `push`, `merge_request_event`, `schedule`... */
  source?: string;
  failedStages: string[];
  /** Failed jobs (the first ones when compacted); `failedJobCount` is the real number. */
  failedJobs: FailedJob[];
  failedJobCount: number;
  /** The MR the pipeline ran for; `targetBranch` is the branch it would merge into, when GitLab sent it. */
  mergeRequest?: { iid: number; title?: string; url?: string; targetBranch?: string };
}

/**
 * A failure notice sent late: its delivery was recovered from GitLab's hook event log
 * (docs/recovery.md). `failedAt` is when GitLab tried to deliver it; `recoveredSince` when a
 * newer pipeline on the ref has passed meanwhile.
 */
export interface LateNotice {
  failedAt: string;
  recoveredSince: boolean;
}

/** The notice's "late" line: `late: recovered from GitLab's hook log, failed at 2026-01-16 09:30 UTC`. */
export function lateLine(late: LateNotice, refKind: string): string {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(late.failedAt) ? `${late.failedAt.slice(0, 16).replace('T', ' ')} UTC` : 'an unknown time';
  return `late: recovered from GitLab's hook log, failed at ${at}${late.recoveredSince ? ` · the ${refKind} has recovered since` : ''}`;
}

/** GitLab's pipeline sources as people say them. */
const SOURCE_LABELS: Record<string, string> = {
  push: 'push',
  web: 'run from the UI',
  trigger: 'trigger token',
  schedule: 'schedule',
  api: 'API',
  external: 'external CI',
  pipeline: 'multi-project pipeline',
  parent_pipeline: 'parent pipeline',
  chat: 'ChatOps',
  webide: 'Web IDE',
  merge_request_event: 'merge request',
  external_pull_request_event: 'external pull request',
  security_orchestration_policy: 'security policy',
  ondemand_dast_scan: 'on-demand DAST scan',
  ondemand_dast_validation: 'on-demand DAST validation',
};

export function sourceLabel(source: string): string {
  return SOURCE_LABELS[source] ?? source.replace(/_/g, ' ');
}

/**
 * The jobs that failed the pipeline. GitLab's `builds` list every attempt of a retried job
 * under the same name; only the latest attempt (highest id) of each name counts, so a job that
 * failed and then passed on retry is not reported. Jobs allowed to fail do not fail the
 * pipeline and are left out. Ordered by stage (as `stages` lists them), then by name.
 */
export function failedJobsOf(builds: readonly PipelineBuild[], stages: readonly string[], projectUrl: string): FailedJob[] {
  const latest = new Map<string, PipelineBuild>();
  for (const build of builds) {
    const key = `${build.stage}\u0000${build.name}`;
    const seen = latest.get(key);
    if (!seen || build.id > seen.id) latest.set(key, build);
  }
  const stageOrder = (stage: string) => {
    const index = stages.indexOf(stage);
    return index === -1 ? stages.length : index;
  };
  return [...latest.values()]
    .filter((build) => build.status === 'failed' && build.allow_failure !== true)
    .sort((a, b) => stageOrder(a.stage) - stageOrder(b.stage) || a.name.localeCompare(b.name) || a.id - b.id)
    .map((build) => ({
      id: build.id,
      name: build.name,
      stage: build.stage,
      ...(build.failure_reason ? { failureReason: build.failure_reason } : {}),
      url: `${projectUrl}/-/jobs/${build.id}`,
    }));
}

/** Reads the facts of a pipeline notice from a validated GitLab pipeline event. */
export function pipelineFacts(event: PipelineEvent): PipelineFacts {
  const attributes = event.object_attributes;
  const project = event.project;
  const projectUrl = project.web_url.replace(/\/+$/, '');
  const ref = shortRef(attributes.ref);
  const isTag = attributes.tag === true;
  const stages = attributes.stages ?? [...new Set(event.builds.map((build) => build.stage))];
  const failedJobs = failedJobsOf(event.builds, stages, projectUrl);
  const failedStages = stages.filter((stage) => failedJobs.some((job) => job.stage === stage));
  for (const job of failedJobs) if (!failedStages.includes(job.stage)) failedStages.push(job.stage);
  const commit = event.commit ?? undefined;
  const commitTitle = commit ? (commit.title ?? firstLine(commit.message ?? '')) : undefined;
  const user = event.user ?? undefined;
  const mr = event.merge_request ?? undefined;
  // Links only to the GitLab instance the project lives on: a URL elsewhere in the payload is
  // treated as absent (the notice falls back to a URL built from the project's, or no link).
  const local = (url: string | null | undefined) => onOrigin(url, projectUrl);
  const facts: PipelineFacts = {
    projectId: project.id,
    projectKey: projectKey(project),
    projectPath: project.path_with_namespace,
    projectUrl,
    pipelineId: attributes.id,
    pipelineUrl: local(attributes.url) ?? `${projectUrl}/-/pipelines/${attributes.id}`,
    round: (attributes.finished_at ?? '').replace(/\D/g, ''),
    status: attributes.status,
    ref,
    isTag,
    refUrl: `${projectUrl}/-/${isTag ? 'tags' : 'tree'}/${encodeURIComponent(ref).replace(/%2F/g, '/')}`,
    sha: attributes.sha,
    failedStages,
    failedJobs,
    failedJobCount: failedJobs.length,
  };
  if (attributes.finished_at) facts.finishedAt = truncate(attributes.finished_at, 40);
  if (attributes.name) facts.pipelineName = attributes.name;
  if (project.default_branch) facts.defaultBranch = project.default_branch;
  if (commitTitle) facts.commitTitle = commitTitle;
  const commitUrl = local(commit?.url);
  if (commitUrl) facts.commitUrl = commitUrl;
  if (commit?.author?.name) facts.commitAuthor = commit.author.name;
  const triggeredBy = user?.name ?? user?.username;
  if (triggeredBy) facts.triggeredBy = triggeredBy;
  if (typeof attributes.duration === 'number') facts.durationSeconds = attributes.duration;
  if (attributes.source) facts.source = attributes.source;
  const mrUrl = local(mr?.url);
  if (mr)
    facts.mergeRequest = {
      iid: mr.iid,
      ...(mr.title ? { title: mr.title } : {}),
      ...(mrUrl ? { url: mrUrl } : {}),
      ...(mr.target_branch ? { targetBranch: shortRef(mr.target_branch) } : {}),
    };
  return facts;
}

/** Jobs kept when facts are stored: what a notice lists at most (the rest is "and N more"). */
export const MAX_LISTED_JOBS = 10;

/**
 * The facts cut down for the state store (a DynamoDB item, 400 KB at most): the jobs a notice
 * lists and bounded text. Rendering compacted facts gives the same notice.
 */
export function compactPipelineFacts(facts: PipelineFacts): PipelineFacts {
  const compact: PipelineFacts = {
    ...facts,
    failedJobs: facts.failedJobs.slice(0, MAX_LISTED_JOBS).map((job) => ({ ...job, name: truncate(job.name, 255), stage: truncate(job.stage, 255) })),
    failedStages: facts.failedStages.slice(0, 50).map((stage) => truncate(stage, 255)),
  };
  if (facts.commitTitle !== undefined) compact.commitTitle = truncate(facts.commitTitle, 1000);
  if (facts.mergeRequest !== undefined) {
    const { title, targetBranch } = facts.mergeRequest;
    compact.mergeRequest = {
      ...facts.mergeRequest,
      ...(title !== undefined ? { title: truncate(title, 1000) } : {}),
      ...(targetBranch !== undefined ? { targetBranch: truncate(targetBranch, 255) } : {}),
    };
  }
  return compact;
}
