/**
 * What the worker reads from GitLab's REST API (v4) for its notices: the log of a failed job
 * and a user's public email. The client (./api-client.ts) bounds every call; the planners get
 * one through GitLabAccess and never block a notice on it: when GitLab is not reachable or
 * no token is set, the notice goes out without the extra and says why in one line.
 */
export interface GitLabApi {
  /**
   * The job's log (trace) as text, at most its last `maxBytes` bytes (so the first line may be
   * partial). Throws GitLabUnavailable when GitLab answers an error or does not answer.
   */
  jobTrace(projectId: number, jobId: number, maxBytes: number): Promise<string>;
  /** `GET /users/:id`; `public_email` is empty or absent unless the user made it public. */
  user(userId: number): Promise<GitLabUser>;
  /**
   * `POST /projects/:id/pipelines/:pipeline_id/retry`: retries the pipeline's failed (and
   * canceled) jobs; the pipeline keeps its id. Not idempotent: only a 429 is retried. Throws
   * GitLabUnavailable (its `status` says 403, 404...) when GitLab refuses.
   * Optional: clients written before the retry button lack it (the button is then not offered).
   */
  retryPipeline?(projectId: number, pipelineId: number): Promise<{ id: number; status: string }>;
  /**
   * The scopes of the token itself (`GET /personal_access_tokens/self`, which answers for
   * project and group access tokens too): the retry button needs `api`.
   */
  tokenScopes?(): Promise<string[]>;
}

export interface GitLabUser {
  id: number;
  username: string;
  name?: string;
  public_email?: string | null;
}

/** Where a planner gets a GitLab client for the project an event is about. */
export interface GitLabAccess {
  /**
   * A client for the GitLab instance at GITLAB_URL, else GitLab.com when the project's `web_url`
   * is there (or a loopback origin, in the local bridge): never a host a payload names; or,
   * when none can be had, why (`no GitLab API token is configured (set
   * GITLAB_API_TOKEN...)`), for the notice's "unavailable" line.
   */
  forProject(projectWebUrl: string): Promise<{ api: GitLabApi; unavailable?: undefined } | { unavailable: string; api?: undefined }>;
}
