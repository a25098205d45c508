import type { GitLabApi } from './api.js';

/**
 * Placeholder until the GitLab client (./api-client.ts) lands: the merge replaces this body
 * with `new GitLabClient({ root, token })`. Until then every call fails, which the planners
 * treat like an unreachable GitLab (the notice goes out without the extra).
 */
export const gitlabClientFactory = (root: string, token: string): GitLabApi => {
  void root;
  void token;
  const notBuilt = async (): Promise<never> => {
    throw new Error('GitLab client not built yet');
  };
  return { jobTrace: notBuilt, user: notBuilt };
};
