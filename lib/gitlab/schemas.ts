import { z } from 'zod';

/**
 * Schemas of the GitLab events the worker acts on (push, merge request, pipeline, job), after
 * GitLab's "Webhook events" documentation. Only the fields the bridge reads are declared;
 * every object is loose, so fields GitLab adds later pass through, and most fields are
 * optional or nullable because GitLab omits or nulls them depending on version and context.
 */

const nullableString = z.string().nullable().optional();

export const GitLabUserSchema = z.looseObject({
  id: z.number().optional(),
  name: z.string().optional(),
  username: z.string().optional(),
  avatar_url: nullableString,
  email: nullableString,
});

export const GitLabProjectSchema = z.looseObject({
  id: z.number(),
  name: z.string().optional(),
  web_url: z.string(),
  path_with_namespace: z.string(),
  default_branch: nullableString,
  namespace: z.string().optional(),
});

export const GitLabCommitSchema = z.looseObject({
  id: z.string(),
  message: z.string().default(''),
  title: z.string().optional(),
  timestamp: z.string().optional(),
  url: z.string().optional(),
  author: z.looseObject({ name: z.string().optional(), email: z.string().optional() }).optional(),
});

export const PushEventSchema = z.looseObject({
  object_kind: z.enum(['push', 'tag_push']),
  event_name: z.string().optional(),
  before: z.string(),
  after: z.string(),
  ref: z.string(),
  ref_protected: z.boolean().optional(),
  checkout_sha: z.string().nullable().optional(),
  user_id: z.number().optional(),
  user_name: z.string().optional(),
  user_username: z.string().optional(),
  user_email: nullableString,
  project_id: z.number(),
  project: GitLabProjectSchema,
  commits: z.array(GitLabCommitSchema).default([]),
  total_commits_count: z.number().optional(),
});

export const MergeRequestEventSchema = z.looseObject({
  object_kind: z.literal('merge_request'),
  event_type: z.string().optional(),
  user: GitLabUserSchema,
  project: GitLabProjectSchema,
  object_attributes: z.looseObject({
    id: z.number(),
    iid: z.number(),
    title: z.string(),
    description: z.string().nullable().optional(),
    state: z.string().optional(),
    action: z.string().optional(),
    source_branch: z.string(),
    target_branch: z.string(),
    url: z.string(),
    draft: z.boolean().optional(),
    work_in_progress: z.boolean().optional(),
    merge_commit_sha: z.string().nullable().optional(),
    last_commit: GitLabCommitSchema.partial({ id: true }).optional(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  }),
  reviewers: z.array(GitLabUserSchema).optional(),
  assignees: z.array(GitLabUserSchema).optional(),
  labels: z.array(z.looseObject({ title: z.string() })).optional(),
  changes: z.record(z.string(), z.unknown()).optional(),
});

export const PipelineBuildSchema = z.looseObject({
  id: z.number(),
  stage: z.string(),
  name: z.string(),
  status: z.string(),
  created_at: nullableString,
  started_at: nullableString,
  finished_at: nullableString,
  duration: z.number().nullable().optional(),
  failure_reason: nullableString,
  allow_failure: z.boolean().optional(),
  manual: z.boolean().optional(),
});

export const PipelineEventSchema = z.looseObject({
  object_kind: z.literal('pipeline'),
  object_attributes: z.looseObject({
    id: z.number(),
    iid: z.number().optional(),
    name: nullableString,
    ref: z.string(),
    tag: z.boolean().optional(),
    sha: z.string(),
    before_sha: z.string().optional(),
    source: z.string().optional(),
    status: z.string(),
    detailed_status: z.string().optional(),
    stages: z.array(z.string()).optional(),
    created_at: nullableString,
    finished_at: nullableString,
    duration: z.number().nullable().optional(),
    url: z.string().optional(),
  }),
  merge_request: z
    .looseObject({
      id: z.number().optional(),
      iid: z.number(),
      title: z.string().optional(),
      url: z.string().optional(),
      source_branch: z.string().optional(),
      target_branch: z.string().optional(),
    })
    .nullable()
    .optional(),
  user: GitLabUserSchema.nullable().optional(),
  project: GitLabProjectSchema,
  commit: GitLabCommitSchema.partial({ id: true }).nullable().optional(),
  builds: z.array(PipelineBuildSchema).default([]),
});

/**
 * A job (`object_kind: "build"`, header `Job Hook`): one event per status change of one attempt
 * of a job. A retried job is a new attempt (new `build_id`) under the same name whose
 * `retries_count` says how many attempts came before it. The bridge reads finished jobs to
 * spot flaky ones; GitLab sends the project both as `project_id` and as `project{...}`.
 */
export const JobEventSchema = z.looseObject({
  object_kind: z.literal('build'),
  ref: z.string(),
  tag: z.boolean().optional(),
  sha: z.string().optional(),
  build_id: z.number(),
  build_name: z.string(),
  build_stage: z.string().optional(),
  build_status: z.string(),
  build_allow_failure: z.boolean().optional(),
  build_failure_reason: nullableString,
  retries_count: z.number().optional(),
  pipeline_id: z.number(),
  project_id: z.number(),
  project: GitLabProjectSchema,
});

export type PushEvent = z.infer<typeof PushEventSchema>;
export type MergeRequestEvent = z.infer<typeof MergeRequestEventSchema>;
export type PipelineEvent = z.infer<typeof PipelineEventSchema>;
export type JobEvent = z.infer<typeof JobEventSchema>;
export type PipelineBuild = z.infer<typeof PipelineBuildSchema>;
export type GitLabCommit = z.infer<typeof GitLabCommitSchema>;
