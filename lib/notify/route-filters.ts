import type { MergeRequestEvent, PipelineEvent } from '../gitlab/schemas.js';
import { filteredOutBy, type EventFilterFacts } from '../routing/match.js';
import type { PlannedAction } from '../worker/action.js';
import { mergeRequestAction, mergeRequestFacts } from './merge-request-facts.js';
import { occurrence } from './merge-request-thread.js';
import { pipelineFacts } from './pipeline-facts.js';
import { targetName, type TargetRoutes } from './targets.js';

/**
 * The route options that keep an event quiet by who made it, its labels or the branch its merge
 * request targets (`excludeAuthors`, `labels`, `excludeLabels`, `targetBranches`), applied where
 * routes are chosen: a destination keeps the routes whose filters let the event through, and one
 * left with none gets a skipped action naming why instead of a notice. Filters judge the event at
 * hand only: a green pipeline by an excluded author announces no recovery either.
 */
export function filterTargets(
  targets: readonly TargetRoutes[],
  facts: EventFilterFacts,
  skipped: (target: TargetRoutes, reason: string) => PlannedAction,
): { targets: TargetRoutes[]; skipped: PlannedAction[] } {
  const kept: TargetRoutes[] = [];
  const skips: PlannedAction[] = [];
  for (const target of targets) {
    const reasons = target.routes.map((route) => filteredOutBy(route.options, facts));
    const routes = target.routes.filter((_, index) => reasons[index] === undefined);
    if (routes.length > 0) kept.push(routes.length === target.routes.length ? target : { ...target, routes });
    else skips.push(skipped(target, [...new Set(reasons)].join('; ')));
  }
  return { targets: kept, skipped: skips };
}

/** Who ran the pipeline (username) and who wrote its commit; the target branch of a merge request pipeline. */
export function pipelineFilterFacts(event: PipelineEvent): EventFilterFacts {
  const targetBranch = event.merge_request?.target_branch;
  return {
    people: present([event.user?.username, event.commit?.author?.name]),
    ...(targetBranch ? { targetBranch } : {}),
  };
}

/** Who acted (username), who wrote the last commit, the labels and the target branch of a merge request event. */
export function mergeRequestFilterFacts(event: MergeRequestEvent): EventFilterFacts {
  return {
    people: present([event.user.username, event.object_attributes.last_commit?.author?.name]),
    labels: (event.labels ?? []).map((label) => label.title),
    targetBranch: event.object_attributes.target_branch,
  };
}

/** The skipped notice of a filtered-out pipeline, keyed as the notice it stands for. */
export function pipelineFilteredAction(event: PipelineEvent): (target: TargetRoutes, reason: string) => PlannedAction {
  const facts = pipelineFacts(event);
  const suffix = facts.status === 'success' ? 'passed' : facts.status;
  return (target, reason) => ({
    key: `${target.id}:pipeline:${facts.projectKey}:${facts.pipelineId}:${suffix}${facts.round ? `:${facts.round}` : ''}`,
    kind: target.target.kind,
    target: targetName(target.target),
    summary: `pipeline #${facts.pipelineId} ${facts.status} notice`,
    skipReason: reason,
    run: async () => undefined,
  });
}

/** The skipped notice of a filtered-out merge request event, keyed as the notice it stands for. */
export function mergeRequestFilteredAction(event: MergeRequestEvent, deliveryId: string): (target: TargetRoutes, reason: string) => PlannedAction {
  const facts = mergeRequestFacts(event);
  const action = mergeRequestAction(event);
  const suffix = action === undefined ? (event.object_attributes.action ?? 'unknown') : `${action}${occurrence(event, action, deliveryId)}`;
  return (target, reason) => ({
    key: `${target.id}:mr:${facts.projectKey}:${facts.iid}:${suffix}`,
    kind: target.target.kind,
    target: targetName(target.target),
    summary: `MR !${facts.iid} ${suffix} notice`,
    skipReason: reason,
    run: async () => undefined,
  });
}

function present(values: ReadonlyArray<string | null | undefined>): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}
