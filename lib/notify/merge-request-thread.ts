/**
 * A merge request's Slack thread: the state kept for it, its key, and the event time and
 * status that key its effects, the same on every redelivery of an event.
 */
import type { MergeRequestEvent } from '../gitlab/schemas.js';
import type { MergeRequestAction } from '../routing/schema.js';
import { statusAfter, type MergeRequestStatus } from './slack/merge-request.js';

/**
 * A merge request's parent message in a Slack channel (state key
 * `slack:<channel>:mr:<project key>:<iid>`): replies thread under it and its status line follows
 * the MR's life.
 */
export interface MergeRequestThreadState {
  ts: string;
  /** Channel id as Slack returned it. */
  channel: string;
  status: MergeRequestStatus;
  /** Epoch ms of the event that set `status`; an older event does not overwrite a newer status. */
  statusAt?: number;
  /** GitLab sends the author's name only with the `open` event; kept for later re-renders. */
  author?: string;
  /** Effect key of the action that posted the parent. */
  postedBy: string;
}

/** GitLab times look like `2026-01-16 05:56:26 UTC` (hooks) or ISO 8601. */
export function parseGitLabTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const iso = value.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/, '$1T$2Z');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * State key of an MR's parent message. The project part is the project key (id and
 * authenticated path), so a payload pairing its own path with another project's id cannot
 * reach that project's thread.
 */
export function mergeRequestThreadKey(targetId: string, project: string, iid: number): string {
  return `${targetId}:mr:${project}:${iid}`;
}

/**
 * What makes this occurrence of an action distinct from the next one (an MR can be closed and
 * reopened several times, approved by several people): the event time (`actioned_at`, GitLab
 * 18+, else `updated_at`) and, for approvals, the approver. Opening and merging happen once.
 * A redelivery or replay of the same event yields the same suffix, hence the same effect key.
 */
export function occurrence(event: MergeRequestEvent, action: MergeRequestAction, deliveryId: string): string {
  if (action === 'opened' || action === 'merged') return '';
  const who = action === 'approved' || action === 'unapproved' ? `:${event.user.id ?? event.user.username ?? ''}` : '';
  return `:${eventTime(event, deliveryId)}${who}`;
}

/** The event's time as digits (`20260116055626`), the same on every redelivery of it. */
export function eventTime(event: MergeRequestEvent, deliveryId: string): string {
  const attributes = event.object_attributes as Record<string, unknown>;
  const at = typeof attributes.actioned_at === 'string' ? attributes.actioned_at : attributes.updated_at;
  return typeof at === 'string' && at !== '' ? at.replace(/\D/g, '') : deliveryId;
}

/**
 * The parent's new status after this event, or undefined when the event does not change it:
 * `approval`/`unapproval` are one person's (un)approval while the MR's approval state stays.
 */
export function parentStatus(event: MergeRequestEvent, action: MergeRequestAction, draft: boolean): MergeRequestStatus | undefined {
  const raw = event.object_attributes.action;
  if (raw === 'approval' || raw === 'unapproval') return undefined;
  return statusAfter(action, draft);
}
