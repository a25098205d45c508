import { z } from 'zod';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../config/https.js';
import { PROJECT_KEY_PATTERN } from './issue-keys.js';

/**
 * The `jira` section of bridge.config.json. Defaults are conservative, like GitLab's own Jira
 * integration: act only on the project's default branch and only on explicit closing keywords
 * and Smart Commit commands; merge request events move nothing unless turned on.
 *
 * Credentials never go here: they come from the Jira secret (JIRA_SECRET_ID) in AWS, or from
 * JIRA_EMAIL + JIRA_API_TOKEN / JIRA_BEARER_TOKEN locally.
 */

const ProjectKeySchema = z
  .string()
  .regex(PROJECT_KEY_PATTERN, 'must be a Jira project key: an uppercase letter, then uppercase letters, digits or _ (e.g. "ABC")');

/**
 * Which transition an intent runs: a name (matched case-insensitively against the transition's
 * name or the status it leads to), several names (the first available wins), or transition ids.
 */
export const TransitionTargetSchema = z.union(
  [
    z.string().trim().min(1),
    z.strictObject({ names: z.array(z.string().trim().min(1)).min(1) }),
    z.strictObject({ ids: z.array(z.string().regex(/^\d+$/, 'must be a numeric Jira transition id')).min(1) }),
  ],
  { error: 'must be a transition name ("Done"), { "names": [...] } or { "ids": ["31"] }' },
);
export type TransitionTarget = z.infer<typeof TransitionTargetSchema>;

/** `default`: the project's default branch only. `all`: every branch. A list: branch names or globs (`release/*`). */
export const BranchPolicySchema = z.union([z.enum(['default', 'all']), z.array(z.string().min(1)).min(1)], {
  error: 'must be "default" (the project\'s default branch), "all", or a list of branch names or globs',
});
export type BranchPolicy = z.infer<typeof BranchPolicySchema>;

export const JiraConfigSchema = z.strictObject({
  /** Site URL, e.g. `https://acme.atlassian.net` (no API path). */
  host: z
    .url({ protocol: /^https?$/, error: 'must be the Jira site URL, e.g. https://your-site.atlassian.net' })
    .refine((url) => !isRestApiUrl(url), 'must be the Jira site URL without the REST API path, e.g. https://your-site.atlassian.net')
    .refine(isHttpsOrLoopback, HTTPS_REQUIRED),
  /**
   * Which credential the Jira secret holds: `basic` (Jira Cloud: account email + API token) or
   * `bearer` (a Data Center personal access token, or a Jira Cloud OAuth access token).
   */
  auth: z.enum(['basic', 'bearer']).default('basic'),
  /**
   * `cloud`: Jira Cloud, REST v3 with rich text in Atlassian Document Format. `datacenter`:
   * Jira Data Center / Server, REST v2 with wiki markup (usually with `auth: "bearer"` and a
   * personal access token).
   */
  deployment: z.enum(['cloud', 'datacenter']).default('cloud'),
  /** Allowlist of Jira project keys. When set, keys of other projects are ignored. */
  projectKeys: z.array(ProjectKeySchema).min(1).optional(),
  /** Allowlist of GitLab projects (`group/project`, globs allowed). When set, others are ignored. */
  gitlabProjects: z.array(z.string().min(1)).min(1).optional(),
  /** Which pushed branches act on Jira. */
  branches: BranchPolicySchema.default('default'),
  /** Intent -> transition. `close`: closing keywords and merged MRs. `review`: opened MRs. */
  transitions: z
    .strictObject({
      close: TransitionTargetSchema.default('Done'),
      review: TransitionTargetSchema.default('In Review'),
    })
    .default({ close: 'Done', review: 'In Review' }),
  /** Read Atlassian Smart Commit commands (`ABC-1 #comment ...`, `#time`, `#<transition>`). */
  smartCommits: z.boolean().default(true),
  /** Read GitLab closing keywords (`Fixes ABC-1`) as the `close` intent. */
  closingKeywords: z.boolean().default(true),
  /** Comment on an issue that a commit merely mentions, with a link to the commit (GitLab's cross-reference). */
  commentOnMention: z.boolean().default(false),
  /** Merge request events. Off by default. */
  mergeRequests: z
    .strictObject({
      /** `review`: an MR opened (or marked ready) moves its issues to the `review` transition. */
      onOpen: z.enum(['review', 'none']).default('none'),
      /** `close`: an MR merged into an acting branch moves its issues to the `close` transition. */
      onMerge: z.enum(['close', 'none']).default('none'),
    })
    .default({ onOpen: 'none', onMerge: 'none' }),
  /**
   * Ignore merge commits (`Merge branch 'x' into 'main'`): GitLab copies the MR description into
   * them, so their commands repeat what the merged commits or the MR already did.
   */
  skipMergeCommits: z.boolean().default(true),
  /** GitLab usernames whose pushes and MR events are ignored (the bridge's own bot user). */
  ignoreUsers: z.array(z.string().min(1)).default([]),
  /**
   * Reply in the Slack thread of the merge request (its parent message) or of the pushed branch's
   * failure notice with what Jira did and refused for that MR action or push. Teams has no threads.
   */
  echoJira: z.boolean().default(true),
});

export type JiraConfig = z.infer<typeof JiraConfigSchema>;
/** The config as written (defaults not yet applied), e.g. from environment variables. */
export type JiraConfigInput = z.input<typeof JiraConfigSchema>;

/**
 * A URL that already points into Jira's REST API (`.../rest/api/3`): jira.js adds that path
 * itself, so every request would 404. A context path (`https://intranet/jira`, Data Center) is fine.
 */
export function isRestApiUrl(url: string): boolean {
  try {
    return /\/rest(\/|$)/.test(new URL(url).pathname);
  } catch {
    return false;
  }
}
