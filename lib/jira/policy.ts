import type { BranchPolicy, TransitionTarget } from './config.js';

/** Why a branch does or does not act on Jira, for the delivery log. */
export type BranchDecision = { acts: true } | { acts: false; reason: string };

/**
 * Whether commits on `branch` act on Jira. The default, like GitLab's Jira integration, is the
 * project's default branch only: work on feature branches moves nothing until it lands.
 */
export function branchActs(policy: BranchPolicy, branch: string, defaultBranch: string | null | undefined): BranchDecision {
  if (policy === 'all') return { acts: true };
  if (policy === 'default') {
    if (!defaultBranch) return { acts: false, reason: `the project's default branch is unknown (jira.branches is "default")` };
    return branch === defaultBranch
      ? { acts: true }
      : { acts: false, reason: `branch '${branch}' is not the default branch '${defaultBranch}' (jira.branches is "default")` };
  }
  return policy.some((pattern) => globMatches(pattern, branch))
    ? { acts: true }
    : { acts: false, reason: `branch '${branch}' matches none of jira.branches (${policy.join(', ')})` };
}

/** `*` matches within one path segment, `**` across segments; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') {
      source += '[^/]*';
    } else {
      source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`).test(value);
}

/**
 * GitLab's and Git's merge commit subjects. GitLab's default merge commit message is
 * `Merge branch '<source>' into '<target>'` followed by the MR title and description, so its
 * commands repeat the MR's (and the merged commits').
 */
const MERGE_SUBJECT = /^Merge (?:branch|branches|remote-tracking branch|tag|commit|pull request|request) /;

export function isMergeCommit(message: string): boolean {
  return MERGE_SUBJECT.test(message.trimStart());
}

/**
 * The original commit of a cherry-pick, from the trailer `git cherry-pick -x` and GitLab's
 * "Cherry-pick" button add: `(cherry picked from commit <sha>)`. The first trailer names the
 * original when a cherry-pick was cherry-picked again.
 */
export function cherryPickOrigin(message: string): string | undefined {
  return /^\(cherry picked from commit ([0-9a-f]{40})\)\s*$/m.exec(message)?.[1];
}

/** A stable piece of an effect key: `Done` -> `done`, `In Review` -> `in-review`, ids -> `id-31`. */
export function slug(value: string): string {
  return value.trim().toLowerCase().replace(/\s+/g, '-');
}

export function targetSlug(target: TransitionTarget): string {
  if (typeof target === 'string') return slug(target);
  if ('names' in target) return slug(target.names[0] ?? 'transition');
  return `id-${target.ids.join('-')}`;
}

/** Jira's worklog `started` format: `2024-01-17T12:34:00.000+0000` (ISO with a numeric offset, no colon). */
export function jiraDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}
