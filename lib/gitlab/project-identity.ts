/**
 * GitLab project paths are case-insensitive (`ACME/Secure` and `acme/secure` name one
 * project), so every lookup and key uses one spelling.
 */
export function normalizeProjectPath(path: string): string {
  return path.trim().toLowerCase();
}

/**
 * The part of a state or effect key that names a project. The receiver authenticates a
 * delivery by its project's path (per-project tokens), not by its numeric id, so the key
 * carries the normalised path: a payload that pairs its own path with another project's id
 * lands in a key space of its own and cannot reach that project's threads, claims or caches.
 */
export function projectKey(project: { id: number; path_with_namespace: string }): string {
  return `${project.id}@${normalizeProjectPath(project.path_with_namespace)}`;
}
