import { InvalidPayload } from '../errors.js';
import type { z } from 'zod';
import { shortRef } from '../gitlab/events.js';
import { MergeRequestEventSchema, PipelineEventSchema, PushEventSchema } from '../gitlab/schemas.js';
import { matchesProject, routesFor } from '../routing/match.js';
import type { ActionPlanner, PlanContext, PlannedAction } from '../worker/action.js';
import type { PlannerDeps } from '../worker/planners.js';
import { planMergeRequest } from './merge-request-actions.js';
import { Outlets } from './outlets.js';
import { planPipeline, refProtectionKey } from './pipeline-actions.js';
import type { SlackSenderOptions } from './slack/slack-sender.js';
import { targetsOf } from './targets.js';

/** Wiring a test or the local bridge may change; production uses the defaults. */
export interface NotifyPlannerOptions {
  /** Overrides of the Slack client (retry policy, timeout); the API URL comes from the config. */
  slack?: Omit<SlackSenderOptions, 'apiUrl'>;
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
export function createNotifyPlanner(deps: PlannerDeps, options: NotifyPlannerOptions = {}): ActionPlanner {
  const outlets = new Outlets(deps.credentials, {
    slack: { ...(deps.config.slack?.apiUrl ? { apiUrl: deps.config.slack.apiUrl } : {}), ...options.slack },
    ...(deps.print ? { print: deps.print } : {}),
  });

  return {
    name: 'notify',
    // `push` only to remember which branches are protected (see isProtectedRef).
    objectKinds: ['pipeline', 'merge_request', 'push'],
    async plan(context: PlanContext): Promise<PlannedAction[]> {
      const kind = (context.payload as { object_kind?: unknown } | null)?.object_kind;
      const routes = context.config.routes;
      if (routes.length === 0) return [];
      switch (kind) {
        case 'pipeline': {
          const event = parse(PipelineEventSchema, context.payload, 'pipeline');
          const targets = targetsOf(routesFor(routes, 'pipeline', event.project.path_with_namespace));
          return targets.length === 0 ? [] : planPipeline(event, targets, { state: context.state, outlets });
        }
        case 'merge_request': {
          const event = parse(MergeRequestEventSchema, context.payload, 'merge request');
          const targets = targetsOf(routesFor(routes, 'merge_request', event.project.path_with_namespace));
          return targets.length === 0 ? [] : planMergeRequest(event, targets, { state: context.state, outlets, deliveryId: context.delivery.id });
        }
        case 'push': {
          await rememberRefProtection(context);
          return [];
        }
        default:
          return [];
      }
    },
  };
}

/**
 * Push events carry `ref_protected`; pipeline events do not. When a route filters pipelines on
 * protected branches, the protection of each pushed branch is kept for its pipelines to use.
 */
async function rememberRefProtection(context: PlanContext): Promise<void> {
  const parsed = PushEventSchema.safeParse(context.payload);
  if (!parsed.success || parsed.data.object_kind !== 'push' || typeof parsed.data.ref_protected !== 'boolean') return;
  const event = parsed.data;
  const watched = context.config.routes.some(
    (route) =>
      route.branches === 'protected' &&
      route.events.includes('pipeline') &&
      route.projects.some((pattern) => matchesProject(pattern, event.project.path_with_namespace)),
  );
  if (!watched) return;
  const key = refProtectionKey(event.project, shortRef(event.ref));
  const known = await context.state.get<{ protected: boolean }>(key);
  if (known?.protected === event.ref_protected) return;
  await context.state.put(key, { protected: event.ref_protected }, { ttlDays: REF_PROTECTION_TTL_DAYS });
}

function parse<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new InvalidPayload(`${what} payload does not match GitLab's webhook schema: ${issues.join('; ')}`);
  }
  return result.data;
}
