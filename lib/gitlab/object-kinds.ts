/**
 * The `object_kind`s the bridge acts on. A tiny module on purpose: the receiver reads it to
 * decide `queued` or `ignored` without loading the planners or their schemas (its bundle stays
 * small), and the planners' event tables are typed against it, so a planner cannot handle a kind
 * the receiver would ignore. A test checks that the planners' tables cover exactly this list.
 */
export const HANDLED_OBJECT_KINDS = ['push', 'merge_request', 'pipeline', 'build'] as const;

export type HandledObjectKind = (typeof HANDLED_OBJECT_KINDS)[number];

const handled: ReadonlySet<string> = new Set(HANDLED_OBJECT_KINDS);

/** Whether the worker acts on this `object_kind`; anything else is recorded as `ignored`. */
export function isHandledObjectKind(kind: string | null | undefined): kind is HandledObjectKind {
  return typeof kind === 'string' && handled.has(kind);
}

/**
 * Why a delivery of a handled kind is still `ignored` (not queued), or undefined to queue it.
 * Job (`build`) events come for every status change (created, pending, running...) once job
 * events are subscribed (`gitlab-bridge gitlab connect` does), and only a finished successful job
 * is used (it may mark a job flaky, lib/notify/job-actions.ts): the others would each be queued
 * and planned for nothing. A plain check on purpose: no schema in the receiver's bundle.
 */
export function ignoredHandledReason(kind: string | null, payload: Readonly<Record<string, unknown>>): string | undefined {
  if (kind !== 'build' || payload.build_status === 'success') return undefined;
  const status = typeof payload.build_status === 'string' ? payload.build_status : 'without a status';
  return `job ${status}: only finished successful jobs can mark a flaky job`;
}
