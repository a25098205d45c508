import { splitCommaList } from '../../lib/config/comma-list.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { GitLabHook } from '../../lib/gitlab/hooks-api.js';

// The hook's shape and the project id in paths belong to the API client (lib/gitlab/hooks-api.ts).
export { projectIdForPath, type GitLabHook } from '../../lib/gitlab/hooks-api.js';

/**
 * The hook settings of GitLab's project webhooks API that the bridge manages. GitLab never
 * returns `token` or `signing_token`, so an existing hook cannot be compared on them: connect
 * always writes them (PUT), which is also how a rotated token reaches GitLab.
 */
export const HOOK_EVENT_FLAGS = {
  push: 'push_events',
  tag_push: 'tag_push_events',
  merge_requests: 'merge_requests_events',
  pipeline: 'pipeline_events',
  issues: 'issues_events',
  confidential_issues: 'confidential_issues_events',
  note: 'note_events',
  confidential_note: 'confidential_note_events',
  job: 'job_events',
  deployment: 'deployment_events',
  releases: 'releases_events',
  wiki_page: 'wiki_page_events',
  emoji: 'emoji_events',
  feature_flag: 'feature_flag_events',
  resource_access_token: 'resource_access_token_events',
} as const;

export type HookEvent = keyof typeof HOOK_EVENT_FLAGS;
export type HookEventFlag = (typeof HOOK_EVENT_FLAGS)[HookEvent];

/**
 * The events the bridge acts on; anything else is only recorded as `ignored`. Job events mark
 * a failure notice's jobs that passed on retry as flaky (docs/notices.md).
 */
export const DEFAULT_HOOK_EVENTS: readonly HookEvent[] = ['pipeline', 'merge_requests', 'push', 'job'];

/** The name connect gives the hook (GitLab 16.11+ shows it; older versions ignore it). */
export const HOOK_NAME = 'gitlab-bridge';

/** Forms users write that mean the same event as GitLab's flag. */
const EVENT_ALIASES: Record<string, HookEvent> = {
  merge_request: 'merge_requests',
  mr: 'merge_requests',
  mrs: 'merge_requests',
  pipelines: 'pipeline',
  tag: 'tag_push',
  tags: 'tag_push',
  issue: 'issues',
  notes: 'note',
  comments: 'note',
  jobs: 'job',
  build: 'job',
  release: 'releases',
  deployments: 'deployment',
  wiki: 'wiki_page',
};

/** `pipeline,merge_requests,push` -> events, accepting `_events` suffixes and common aliases. */
export function parseHookEvents(value: string | undefined): HookEvent[] {
  if (value === undefined) return [...DEFAULT_HOOK_EVENTS];
  const events = new Set<HookEvent>();
  for (const raw of splitCommaList(value).map((part) => part.toLowerCase().replace(/-/g, '_'))) {
    const name = raw.replace(/_events$/, '');
    const event = name in HOOK_EVENT_FLAGS ? (name as HookEvent) : EVENT_ALIASES[name];
    if (!event) throw new CliError(`unknown event "${raw}"`, EXIT.usage, `use a comma-separated list of ${Object.keys(HOOK_EVENT_FLAGS).join(', ')}`);
    events.add(event);
  }
  if (events.size === 0) throw new CliError('--events is empty', EXIT.usage, `name at least one of ${Object.keys(HOOK_EVENT_FLAGS).join(', ')}`);
  return [...events];
}

export const BRANCH_FILTER_STRATEGIES = ['wildcard', 'regex', 'all_branches'] as const;
export type BranchFilterStrategy = (typeof BRANCH_FILTER_STRATEGIES)[number];

export interface HookSettings {
  url: string;
  token: string;
  events: readonly HookEvent[];
  /** `push_events_branch_filter`: `main`, `release/*`, or a regex with strategy `regex`. */
  branchFilter?: string;
  branchFilterStrategy?: BranchFilterStrategy;
  enableSslVerification: boolean;
  /** Standard Webhooks signing key (`whsec_...`), sent where the instance supports it. */
  signingToken?: string;
  /**
   * Clear the hook's custom webhook template (GitLab 16.10+): with one, GitLab sends the
   * template's output instead of the event. Set only when the hook has one, so instances
   * without the setting never see the field.
   */
  clearCustomTemplate?: boolean;
}

/** The body of POST/PUT /projects/:id/hooks. Every known event flag is set, so a narrower --events turns the others off. */
export function hookRequestBody(settings: HookSettings): Record<string, string | boolean> {
  const body: Record<string, string | boolean> = {
    url: settings.url,
    name: HOOK_NAME,
    description: 'GitLab events to Slack, Teams and Jira (gitlab-bridge)',
    token: settings.token,
    enable_ssl_verification: settings.enableSslVerification,
  };
  for (const [event, flag] of Object.entries(HOOK_EVENT_FLAGS)) body[flag] = settings.events.includes(event as HookEvent);
  if (settings.branchFilter !== undefined || settings.branchFilterStrategy !== undefined) {
    // A filter without a strategy is GitLab's default, wildcard; `all_branches` clears the filter.
    const strategy = settings.branchFilterStrategy ?? 'wildcard';
    body.branch_filter_strategy = strategy;
    body.push_events_branch_filter = strategy === 'all_branches' ? '' : (settings.branchFilter ?? '');
  }
  if (settings.signingToken) body.signing_token = settings.signingToken;
  // GitLab treats an empty template as none and sends the event payload again.
  if (settings.clearCustomTemplate) body.custom_webhook_template = '';
  return body;
}

/** URLs compared the way a user means them: scheme/host case and a trailing slash do not matter. */
export function sameHookUrl(a: string, b: string): boolean {
  const normal = (url: string) => {
    try {
      const parsed = new URL(url.trim());
      return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
    } catch {
      return url.trim().replace(/\/+$/, '');
    }
  };
  return normal(a) === normal(b);
}

/**
 * Whether a hook is the bridge's. With the bridge's webhook URL known, exactly the hooks
 * pointing at it; without it (status with no stack), hooks named `gitlab-bridge` or ending in
 * the bridge's path.
 */
export function isBridgeHook(hook: GitLabHook, webhookUrl: string | undefined): boolean {
  if (webhookUrl) return sameHookUrl(hook.url, webhookUrl);
  return hook.name === HOOK_NAME || hook.url.endsWith(WEBHOOK_PATH) || hook.url.endsWith(`${WEBHOOK_PATH}/`);
}

export type ConnectPlan = { action: 'create' } | { action: 'update'; hookId: number; duplicates: number[] };

/** Idempotent connect: update the hook that already points at the bridge, create one otherwise. */
export function planConnect(existing: readonly GitLabHook[], webhookUrl: string): ConnectPlan {
  const matching = existing.filter((hook) => sameHookUrl(hook.url, webhookUrl)).sort((a, b) => a.id - b.id);
  const [first, ...rest] = matching;
  return first ? { action: 'update', hookId: first.id, duplicates: rest.map((hook) => hook.id) } : { action: 'create' };
}

/** Events enabled on a hook, by the names --events takes. */
export function enabledEvents(hook: GitLabHook): HookEvent[] {
  return (Object.entries(HOOK_EVENT_FLAGS) as [HookEvent, HookEventFlag][]).filter(([, flag]) => hook[flag] === true).map(([event]) => event);
}

/**
 * GitLab's test triggers (POST /projects/:id/hooks/:hook_id/test/:trigger) are the hook's event
 * flag names; GitLab offers no test for deployment and feature flag events.
 */
const TEST_TRIGGERS: Partial<Record<HookEvent, HookEventFlag>> = Object.fromEntries(
  (Object.entries(HOOK_EVENT_FLAGS) as [HookEvent, HookEventFlag][]).filter(([event]) => event !== 'deployment' && event !== 'feature_flag'),
);

/**
 * Tests GitLab can most often send: a push needs one commit; a merge request test needs a merge
 * request; a pipeline test needs a pipeline (GitLab answers 422 "Ensure the project has CI
 * pipelines." otherwise).
 */
const TEST_PREFERENCE: readonly HookEvent[] = ['push', 'merge_requests', 'tag_push', 'pipeline'];

/** The trigger `--test` fires: the one asked for, else the most likely to work of the hook's events. */
export function testTrigger(events: readonly HookEvent[], requested: string | undefined): string {
  if (requested) {
    const [event] = parseHookEvents(requested);
    const trigger = event ? TEST_TRIGGERS[event] : undefined;
    if (!trigger) throw new CliError(`GitLab cannot send a test ${requested} event`, EXIT.usage, `use one of ${Object.keys(TEST_TRIGGERS).join(', ')}`);
    return trigger;
  }
  const event = TEST_PREFERENCE.find((candidate) => events.includes(candidate)) ?? events.find((candidate) => TEST_TRIGGERS[candidate]);
  if (!event)
    throw new CliError(
      "none of the hook's events can be tested by GitLab",
      EXIT.usage,
      'pass --test push (GitLab sends a test push for any project with a commit)',
    );
  return TEST_TRIGGERS[event]!;
}

export type HookHealth = { state: 'ok' } | { state: 'temporarily_disabled'; until: string | null } | { state: 'disabled' };

/**
 * GitLab disables a hook that keeps failing: first temporarily, with a growing back-off
 * (`alert_status` `temporarily_disabled`, `disabled_until`), and after many failures in a row
 * permanently (`disabled`). A disabled hook sends nothing, so status must say so. A successful
 * test request re-enables it (GitLab "Webhooks" docs, "Re-enable disabled webhooks").
 */
export function hookHealth(hook: GitLabHook): HookHealth {
  switch (hook.alert_status) {
    case 'temporarily_disabled':
      return { state: 'temporarily_disabled', until: hook.disabled_until ?? null };
    case 'disabled':
      return { state: 'disabled' };
    default:
      return { state: 'ok' };
  }
}
