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
