import type { MergeRequestEvent } from '../gitlab/schemas.js';
import { projectKey } from '../gitlab/project-identity.js';
import type { MergeRequestAction } from '../routing/schema.js';
import { onOrigin } from '../gitlab/links.js';

/** What merge request notices say, read once from the GitLab payload. */
export interface MergeRequestFacts {
  projectId: number;
  /** `id@path` (see projectKey): the project part of state and effect keys. */
  projectKey: string;
  projectPath: string;
  projectUrl: string;
  id: number;
  iid: number;
  title: string;
  url: string;
  author?: string;
  sourceBranch: string;
  targetBranch: string;
  reviewers: string[];
  draft: boolean;
  /** GitLab's `state`: opened, closed, merged, locked. */
  state?: string;
  /** Who did what this event reports (approved, merged...). */
  actor?: string;
}

/**
 * GitLab `action` -> the action a route filters on. `approval`/`unapproval` are one user's
 * (un)approval while approvals are still missing; `approved`/`unapproved` flip the whole MR's
 * approval state. Both notify as approved / unapproved. `update` is only a notice when it
 * turns a draft into a ready merge request (then it counts as `opened`).
 */
export function mergeRequestAction(event: MergeRequestEvent): MergeRequestAction | undefined {
  switch (event.object_attributes.action) {
    case 'open':
      return 'opened';
    case 'reopen':
      return 'reopened';
    case 'close':
      return 'closed';
    case 'merge':
      return 'merged';
    case 'approved':
    case 'approval':
      return 'approved';
    case 'unapproved':
    case 'unapproval':
      return 'unapproved';
    case 'update':
      return markedReady(event) ? 'opened' : undefined;
    default:
      return undefined;
  }
}

/** True when this update took the MR out of draft (`changes.draft: true -> false`). */
export function markedReady(event: MergeRequestEvent): boolean {
  const change = event.changes?.draft as { previous?: unknown; current?: unknown } | undefined;
  return change?.previous === true && change.current === false;
}

export function isDraft(event: MergeRequestEvent): boolean {
  const attributes = event.object_attributes;
  return attributes.draft === true || attributes.work_in_progress === true;
}

export function mergeRequestFacts(event: MergeRequestEvent): MergeRequestFacts {
  const attributes = event.object_attributes;
  const project = event.project;
  const actor = event.user.name ?? event.user.username;
  const authorId = (attributes as { author_id?: unknown }).author_id;
  // GitLab sends the author only as `author_id`; on `open` the acting user is the author.
  const author = attributes.action === 'open' || (typeof authorId === 'number' && authorId === event.user.id) ? actor : undefined;
  const projectUrl = project.web_url.replace(/\/+$/, '');
  const facts: MergeRequestFacts = {
    projectId: project.id,
    projectKey: projectKey(project),
    projectPath: project.path_with_namespace,
    projectUrl,
    id: attributes.id,
    iid: attributes.iid,
    title: attributes.title,
    // Only a link on the project's GitLab instance; else the MR's URL built from the project's.
    url: onOrigin(attributes.url, projectUrl) ?? `${projectUrl}/-/merge_requests/${attributes.iid}`,
    sourceBranch: attributes.source_branch,
    targetBranch: attributes.target_branch,
    reviewers: (event.reviewers ?? []).map((reviewer) => reviewer.name ?? reviewer.username ?? '').filter((name) => name !== ''),
    draft: isDraft(event),
  };
  if (author) facts.author = author;
  if (attributes.state) facts.state = attributes.state;
  if (actor) facts.actor = actor;
  return facts;
}
