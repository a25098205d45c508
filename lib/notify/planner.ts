import { withGitLabBudget } from '../gitlab/access.js';
import { shortRef } from '../gitlab/events.js';
import { JobEventSchema, MergeRequestEventSchema, PipelineEventSchema, PushEventSchema, type PushEvent } from '../gitlab/schemas.js';
import { matchesProject, routesFor } from '../routing/match.js';
import type { Route } from '../routing/schema.js';
import type { PlanContext, PlannedAction, Planner, PlannerDeps } from '../worker/action.js';
import { on } from '../worker/event-table.js';
import { planJob } from './job-actions.js';
import { planMergeRequest } from './merge-request-actions.js';
import { NoticeMentions } from './mentions/notice-mentions.js';
import { MentionResolver } from './mentions/resolver.js';
import { slackLookupFrom } from './mentions/slack-user-lookup.js';
import { configuredOutlets } from './outlets.js';
import { planPipeline, refProtectionKey } from './pipeline-actions.js';
import type { SlackPace } from './slack/pacing.js';
import type { SlackSenderOptions } from './slack/slack-sender.js';
import { filterTargets, mergeRequestFilterFacts, mergeRequestFilteredAction, pipelineFilterFacts, pipelineFilteredAction } from './route-filters.js';
import { targetsOf } from './targets.js';
import { holdActions, quietHold } from './digest.js';
import { mergeRequestAction, mergeRequestFacts } from './merge-request-facts.js';

/** Wiring a test or the local bridge may change; production uses the defaults. */
export interface NotifyPlannerOptions {
  /** Overrides of the Slack client (retry policy, timeout); the API URL comes from the config. */
  slack?: Omit<SlackSenderOptions, 'apiUrl'>;
  /** Slack's per-channel pace (./slack/pacing.ts); SLACK_PACE when absent. */
  slackPace?: SlackPace;
}

/** Protection of a branch is remembered for a while; a later push refreshes it. */
const REF_PROTECTION_TTL_DAYS = 90;

/**
 * Chat notices: failed (and recovered) pipelines and merge request activity, sent to the Slack
 * channels and Teams webhooks the routing config names. Each notice is a PlannedAction with an
 * effect key (`slack:<channel>:pipeline:<id>:failed`, `teams:<name>:mr:<project>:<iid>:merged`),
 * so the worker sends it once; events a route filters out become skipped actions whose reason
 * the delivery log shows.
 */
export function createNotifyPlanner(deps: PlannerDeps, options: NotifyPlannerOptions = {}): Planner {
  const outlets = configuredOutlets(deps.credentials, { slackApiUrl: deps.config.slack?.apiUrl, print: deps.print, ...options });

  const slackApiUrl = deps.config.slack?.apiUrl;
  const mentions = new NoticeMentions(
    new MentionResolver({
      ...(deps.config.people ? { people: deps.config.people } : {}),
      slackLookup: slackLookupFrom(() => deps.credentials.slackBotToken(), slackApiUrl ? { apiUrl: slackApiUrl } : {}),
      ...(deps.gitlab ? { gitlab: deps.gitlab } : {}),
      ...(deps.log ? { log: deps.log } : {}),
    }),
    deps.print,
  );

  const { routes } = deps.config;
  return {
    name: 'notify',
    enabled: routes.length > 0,
    events: {
      pipeline: on(PipelineEventSchema, async (event, context) => {
        const routed = targetsOf(routesFor(routes, 'pipeline', event.project.path_with_namespace));
        if (routed.length === 0) return [];
        const { targets, skipped } = filterTargets(routed, pipelineFilterFacts(event), pipelineFilteredAction(event));
        if (targets.length === 0) return skipped;
        // One time budget for all of this delivery's GitLab lookups (excerpts, mentions).
        const gitlab = deps.gitlab ? withGitLabBudget(deps.gitlab) : undefined;
        const planned = await planPipeline(event, targets, {
          state: context.state,
          outlets: outlets.pacedBy(context.state),
          mentions: mentions.withGitLab(gitlab),
          now: context.now,
          quiet: (target) => quietHold(target, context.now()),
          ...(gitlab ? { gitlab } : {}),
          ...(deps.config.interactions?.retry.enabled ? { retryButton: true } : {}),
          ...(deps.log ? { log: deps.log } : {}),
          ...(context.delivery.recovered ? { late: { receivedAt: context.delivery.receivedAt } } : {}),
        });
        return [...skipped, ...planned];
      }),
      // Jobs only mark a failure notice's jobs flaky, so they go where pipeline notices go; a
      // job event this cannot read is skipped, not failed (it changes no notice). The route
      // filters (excludeAuthors...) are not applied: a job event only updates a notice that
      // was posted, for a pipeline whose own event passed them.
      build: on(
        JobEventSchema,
        (event, context) => {
          const targets = targetsOf(routesFor(routes, 'pipeline', event.project.path_with_namespace));
          return targets.length === 0 ? [] : planJob(event, targets, { state: context.state, outlets: outlets.pacedBy(context.state), now: context.now });
        },
        { ifInvalid: 'skip' },
      ),
      merge_request: on(MergeRequestEventSchema, async (event, context) => {
        const routed = targetsOf(routesFor(routes, 'merge_request', event.project.path_with_namespace));
        if (routed.length === 0) return [];
        const filtered = filterTargets(routed, mergeRequestFilterFacts(event), mergeRequestFilteredAction(event, context.delivery.id));
        if (filtered.targets.length === 0) return filtered.skipped;
        const gitlab = deps.gitlab ? withGitLabBudget(deps.gitlab) : undefined;
        let planned = await planMergeRequest(event, filtered.targets, {
          state: context.state,
          outlets: outlets.pacedBy(context.state),
          deliveryId: context.delivery.id,
          mentions: mentions.withGitLab(gitlab),
        });
        // Quiet hours: a destination's notice goes to its digest instead.
        const facts = mergeRequestFacts(event);
        const text = `MR !${facts.iid} ${mergeRequestAction(event) ?? 'updated'}: ${facts.title} (${facts.projectPath})${facts.actor ? `, by ${facts.actor}` : ''}`;
        for (const target of filtered.targets) {
          const hold = quietHold(target, context.now());
          if (hold) planned = holdActions(planned, target, hold, { text, url: facts.url }, { state: context.state, outlets });
        }
        return [...filtered.skipped, ...planned];
      }),
      // Only to remember which branches are protected (see isProtectedRef); a push this cannot
      // read is left to the planners that act on pushes.
      push: on(PushEventSchema, (event, context) => rememberRefProtection(event, routes, context), { ifInvalid: 'skip' }),
    },
  };
}

/**
 * Push events carry `ref_protected`; pipeline events do not. When a route filters pipelines on
 * protected branches, the protection of each pushed branch is kept for its pipelines to use.
 */
async function rememberRefProtection(event: PushEvent, routes: readonly Route[], context: PlanContext): Promise<PlannedAction[]> {
  if (event.object_kind !== 'push' || typeof event.ref_protected !== 'boolean') return [];
  const watched = routes.some(
    (route) =>
      route.branches === 'protected' &&
      route.events.includes('pipeline') &&
      route.projects.some((pattern) => matchesProject(pattern, event.project.path_with_namespace)),
  );
  if (!watched) return [];
  const key = refProtectionKey(event.project, shortRef(event.ref));
  const known = await context.state.get<{ protected: boolean }>(key);
  if (known?.protected !== event.ref_protected) await context.state.put(key, { protected: event.ref_protected }, { ttlDays: REF_PROTECTION_TTL_DAYS });
  return [];
}
