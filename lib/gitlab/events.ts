/**
 * What the receiver reads from an event: only the few fields it records, without a schema
 * library, so the receiver bundle stays small. The worker parses full payloads (./schemas.ts).
 */

export interface EventSummary {
  objectKind: string | null;
  projectId: number | null;
  projectPath: string | null;
  ref: string | null;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Reads object kind, project and ref from any GitLab event payload, tolerating every shape. */
export function summarizeEvent(payload: Record<string, unknown>): EventSummary {
  const project = record(payload.project);
  const attributes = record(payload.object_attributes);
  const mergeRequest = record(payload.merge_request);
  // System-style hooks (member, project, subgroup) carry `event_name` and no `object_kind`.
  const objectKind = str(payload.object_kind) ?? str(payload.event_name);
  const projectId = num(project?.id) ?? num(payload.project_id) ?? num(attributes?.project_id) ?? num(attributes?.target_project_id);
  const projectPath = str(project?.path_with_namespace) ?? str(payload.path_with_namespace) ?? str(payload.project_path_with_namespace);
  let ref: string | null = null;
  if (objectKind === 'merge_request') ref = str(attributes?.target_branch);
  else ref = str(payload.ref) ?? str(attributes?.ref) ?? str(mergeRequest?.target_branch);
  return { objectKind, projectId, projectPath, ref: ref ? shortRef(ref) : null };
}

/** `refs/heads/main` -> `main`, `refs/tags/v1` -> `v1`. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}
