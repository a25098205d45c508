import { z } from 'zod';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../config/https.js';

/**
 * Routing config: which GitLab events from which projects go to which Slack channels and Teams
 * webhooks. Part of bridge.config.json (lib/config/schema.ts); every object is strict, so a
 * typo such as `notifyOnlyBrokenPipeline` fails at load with the key named.
 */

/** GitLab events a route can ask for. Room for more (`deployment`, `release`...) later. */
export const ROUTE_EVENTS = ['pipeline', 'merge_request'] as const;
export type RouteEvent = (typeof ROUTE_EVENTS)[number];

/**
 * Merge request actions a route can notify about. GitLab's `action` values map onto these:
 * open -> opened, reopen -> reopened, close -> closed, merge -> merged,
 * approved/approval -> approved, unapproved/unapproval -> unapproved.
 */
export const MERGE_REQUEST_ACTIONS = ['opened', 'reopened', 'closed', 'merged', 'approved', 'unapproved'] as const;
export type MergeRequestAction = (typeof MERGE_REQUEST_ACTIONS)[number];

/** GitLab's own Slack integration notifies these by default. */
export const DEFAULT_MERGE_REQUEST_ACTIONS: readonly MergeRequestAction[] = ['opened', 'reopened', 'closed', 'merged', 'approved'];

/** `/regex/` (optionally with `i`), as GitLab's `branch_filter_strategy: regex`. */
const REGEX_PATTERN = /^\/(.+)\/(i?)$/s;

/** Parses a `/.../` branch pattern into a RegExp, or undefined when it is a wildcard pattern. */
export function branchRegex(pattern: string): RegExp | undefined {
  const match = REGEX_PATTERN.exec(pattern);
  if (!match) return undefined;
  return new RegExp(match[1] ?? '', match[2] ?? '');
}

const BranchPatternSchema = z
  .string()
  .min(1, 'a branch pattern must not be empty')
  .superRefine((pattern, ctx) => {
    try {
      branchRegex(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression ${pattern}: ${(error as Error).message}` });
    }
  });

/**
 * Which refs a route's pipelines are watched on, like GitLab's `branches_to_be_notified` /
 * `branch_filter_strategy`:
 * - `default`: the project's default branch only (GitLab's default)
 * - `protected`: protected branches and tags (docs/notices.md: How "protected" is decided)
 * - `all`: every branch and tag
 * - a list of patterns: wildcards (`main`, `release/*`, `*-stable`; `*` matches any characters,
 *   `/` included, as in GitLab) or regular expressions written `/^release-\d+$/`.
 */
export const BranchFilterSchema = z.union([z.enum(['default', 'protected', 'all']), z.array(BranchPatternSchema).min(1, 'list at least one branch pattern')]);
export type BranchFilter = z.infer<typeof BranchFilterSchema>;

/** `group/project`, `acme/*` (direct children), `acme/**` (any depth), `**` (every project). */
const ProjectPatternSchema = z
  .string()
  .min(1, 'a project pattern must not be empty')
  .refine((pattern) => !pattern.startsWith('/') && !pattern.endsWith('/'), 'write project patterns without leading or trailing slash, e.g. "acme/*"');

/** A username, author name or label, `*` matching any characters. */
const NamePatternSchema = z.string().trim().min(1, 'a name pattern must not be empty');

const ChannelSchema = z.string().trim().min(1, 'a Slack channel must not be empty');
const WebhookNameSchema = z.string().trim().min(1, 'a Teams webhook name must not be empty');

export const SlackTargetSchema = z
  .strictObject({
    /** One channel: an id (`C0123456789`, preferred: survives renames) or a name (`#ci-alerts`). */
    channel: ChannelSchema.optional(),
    /** Several channels. */
    channels: z.array(ChannelSchema).optional(),
  })
  .refine((target) => target.channel !== undefined || (target.channels?.length ?? 0) > 0, 'set "channel" or "channels"');

export const TeamsTargetSchema = z
  .strictObject({
    /**
     * Name of a Workflows webhook URL kept in the Teams secret (`{"platform": "https://..."}`);
     * `default` is the URL from TEAMS_WEBHOOK_URL. URLs carry a signature: never in this file.
     */
    webhook: WebhookNameSchema.optional(),
    webhooks: z.array(WebhookNameSchema).optional(),
  })
  .refine((target) => target.webhook !== undefined || (target.webhooks?.length ?? 0) > 0, 'set "webhook" or "webhooks"');

/** Weekday names `days` takes, as `Intl` gives them in English (`Mon`...). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const ClockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'write a time as HH:MM, 00:00 to 23:59');

/**
 * Failures that still post at once during quiet hours:
 * - `default`: failures on the project's default branch (the default)
 * - `protected`: failures on protected branches and tags (the default branch included)
 * - `none`: every notice waits for the digest
 */
export const BREAK_THROUGH = ['default', 'protected', 'none'] as const;
export type BreakThrough = (typeof BREAK_THROUGH)[number];

export const QuietHoursSchema = z
  .strictObject({
    /** IANA time zone the times are in: `Europe/Berlin`, `UTC`. */
    timezone: z.string().refine(isTimeZone, 'unknown time zone: use an IANA name such as "Europe/Berlin"'),
    /** Start of the quiet window, local time `HH:MM`. */
    from: ClockTimeSchema,
    /** End of the quiet window, local time `HH:MM`; earlier than `from` means the next day. */
    to: ClockTimeSchema,
    /** Weekdays on which a window starts (`fri` for Friday 19:00 to Saturday 08:00); every day when absent. */
    days: z.array(z.enum(WEEKDAYS)).min(1, 'list at least one weekday').optional(),
    /** Which failures still post at once; the rest wait for the digest. */
    breakThrough: z.enum(BREAK_THROUGH).default('default'),
  })
  .refine((quiet) => quiet.from !== quiet.to, '"from" and "to" must differ');
export type QuietHours = z.infer<typeof QuietHoursSchema>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const StormSchema = z.strictObject({
  /** Top-level failure notices a channel gets within the window before the next ones fold. */
  threshold: z.number().int().min(1).max(50).default(5),
  /** The window, in seconds; a rollup stays open while failures keep folding within it. */
  windowSeconds: z.number().int().min(10).max(3600).default(120),
});
export type StormOptions = z.infer<typeof StormSchema>;

export const RouteOptionsSchema = z.strictObject({
  /** Only failed pipelines notify (GitLab's "Notify only broken pipelines", on by default). */
  notifyOnlyBrokenPipelines: z.boolean().default(true),
  /** When a ref that failed goes green again, say so (in the failure's thread on Slack). */
  notifyOnRecovery: z.boolean().default(true),
  /** Merge request actions that notify. */
  mergeRequestActions: z.array(z.enum(MERGE_REQUEST_ACTIONS)).default([...DEFAULT_MERGE_REQUEST_ACTIONS]),
  /** Draft merge requests stay quiet until marked ready. */
  skipDraftMergeRequests: z.boolean().default(false),
  /**
   * Mention the commit author in a failure notice and the reviewers in a merge request's message,
   * when they can be resolved (people map, Slack lookup by email, GitLab public email). Absent
   * means on; `false` turns it off for the destinations this route sends to.
   */
  mentionAuthors: z.boolean().optional(),
  /**
   * Events by these people stay quiet: GitLab usernames or commit author names, `*` matching any
   * characters, case-insensitive (`renovate-bot`, `dependabot*`). Matched against the event's
   * user and the commit author (a pipeline's commit, a merge request's last commit).
   */
  excludeAuthors: z.array(NamePatternSchema).min(1, 'list at least one author pattern').optional(),
  /** Merge request events notify only when the merge request has one of these labels (`*` globs, case-insensitive). */
  labels: z.array(NamePatternSchema).min(1, 'list at least one label').optional(),
  /** Merge request events with any of these labels stay quiet; wins over `labels`. */
  excludeLabels: z.array(NamePatternSchema).min(1, 'list at least one label').optional(),
  /**
   * Merge request events and merge request pipelines notify only when the merge request targets
   * one of these branches (patterns as in `branches`). Branch and tag pipelines are not filtered by it.
   */
  targetBranches: z.array(BranchPatternSchema).min(1, 'list at least one branch pattern').optional(),
  /**
   * Hours in which merge request and recovery notices (and failures that do not break through)
   * are held, then posted as one digest when the window ends (docs/notices.md: Quiet hours).
   */
  quietHours: QuietHoursSchema.optional(),
  /**
   * Storm folding at the Slack channels this route sends to: once `threshold` failure notices
   * went top-level within `windowSeconds`, the next failures fold into one rollup message updated
   * in place. On by default (5 notices in 120 s, issue 14); `false` turns it off for the channels
   * this route sends to, `{}` takes the defaults.
   */
  storm: z.union([z.literal(false), StormSchema]).optional(),
});
export type RouteOptions = z.infer<typeof RouteOptionsSchema>;

export const RouteSchema = z
  .strictObject({
    /** Shown in the delivery log and in errors. */
    name: z.string().min(1).optional(),
    /** Project path globs; every project when absent. */
    projects: z.array(ProjectPatternSchema).min(1, 'list at least one project pattern').default(['**']),
    events: z
      .array(z.enum(ROUTE_EVENTS))
      .min(1, 'list at least one event')
      .default([...ROUTE_EVENTS]),
    /** Refs whose pipelines notify. Merge requests are not filtered by branch (as in GitLab). */
    branches: BranchFilterSchema.default('default'),
    slack: SlackTargetSchema.optional(),
    teams: TeamsTargetSchema.optional(),
    options: RouteOptionsSchema.default({
      notifyOnlyBrokenPipelines: true,
      notifyOnRecovery: true,
      mergeRequestActions: [...DEFAULT_MERGE_REQUEST_ACTIONS],
      skipDraftMergeRequests: false,
    }),
  })
  .refine((route) => route.slack !== undefined || route.teams !== undefined, 'a route needs a "slack" or "teams" target');

export const SlackSettingsSchema = z.strictObject({
  /**
   * Base URL of Slack's Web API, ending in `/api/`: `https://slack.com/api/` (default),
   * `https://slack-gov.com/api/` for GovSlack, or a local stand-in in tests.
   */
  apiUrl: z
    .url({ protocol: /^https?$/ })
    .refine(isHttpsOrLoopback, HTTPS_REQUIRED)
    .optional(),
});

export type Route = z.infer<typeof RouteSchema>;
export type RouteInput = z.input<typeof RouteSchema>;
export type SlackSettings = z.infer<typeof SlackSettingsSchema>;

/** Channels a route posts to, without duplicates. */
export function slackChannels(route: Route): string[] {
  return unique([...(route.slack?.channel !== undefined ? [route.slack.channel] : []), ...(route.slack?.channels ?? [])]);
}

/** Teams webhook names a route posts to, without duplicates. */
export function teamsWebhookNames(route: Route): string[] {
  return unique([...(route.teams?.webhook !== undefined ? [route.teams.webhook] : []), ...(route.teams?.webhooks ?? [])]);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
