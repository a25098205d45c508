/**
 * The Slack threads other features may reply in: a merge request's parent message and a red
 * ref's failure notice, read from the notifier state without knowing its key formats or the
 * rest of what that state holds.
 */
import type { Route, RouteEvent } from '../routing/schema.js';
import { routesFor } from '../routing/match.js';
import type { StateStore } from '../state/store.js';
import { mergeRequestThreadKey } from './merge-request-thread.js';
import { refFailureKey } from './pipeline-actions.js';
import { targetsOf } from './targets.js';

/** A message to thread under: its ts and the channel id Slack returned. */
export interface SlackThread {
  ts: string;
  channel: string;
}

/** A Slack channel the routes send `event`s of a project to; `id` prefixes its state and effect keys. */
export interface SlackDestination {
  id: string;
  channel: string;
}

/** The Slack channels routed for `event`s of `projectPath` (Teams webhooks have no threads). */
export function slackDestinations(routes: readonly Route[], event: RouteEvent, projectPath: string): SlackDestination[] {
  return targetsOf(routesFor(routes, event, projectPath)).flatMap((target) =>
    target.target.kind === 'slack' ? [{ id: target.id, channel: target.target.channel }] : [],
  );
}

/** The parent message of merge request `iid` at a destination, once the notifier posted it. */
export async function mergeRequestParent(state: StateStore, destinationId: string, project: string, iid: number): Promise<SlackThread | undefined> {
  return threadOf(await state.get<Partial<SlackThread>>(mergeRequestThreadKey(destinationId, project, iid)));
}

/**
 * The failure notice of `ref` at a destination while the ref is red: a failure was announced
 * there and no green pipeline has announced its recovery yet.
 */
export async function redRefNotice(state: StateStore, destinationId: string, project: string, ref: string): Promise<SlackThread | undefined> {
  // Only these fields: the failure state holds more, and may grow.
  const failure = await state.get<Partial<SlackThread> & { resolvedBy?: unknown }>(refFailureKey(destinationId, project, ref));
  if (!failure || failure.resolvedBy !== undefined) return undefined;
  return threadOf(failure);
}

function threadOf(stored: Partial<SlackThread> | undefined): SlackThread | undefined {
  return typeof stored?.ts === 'string' && typeof stored.channel === 'string' ? { ts: stored.ts, channel: stored.channel } : undefined;
}
