import { isLoopbackHostname } from '../config/https.js';
import { ENV } from '../env.js';
import type { Credentials } from '../secrets/credentials.js';
import type { GitLabAccess, GitLabApi } from './api.js';

/** The "unavailable" line of a notice when no token is set, locally or in the stack's secret. */
export const NO_GITLAB_API_TOKEN = `no GitLab API token is configured (set ${ENV.gitlabApiToken}, or the secret named by ${ENV.gitlabApiSecretId})`;

export interface GitLabAccessOptions {
  /** Where the token comes from: env locally, Secrets Manager in the stack (read on every call; the reader caches). */
  credentials: Pick<Credentials, 'gitlabApiToken'>;
  /** GITLAB_URL: the instance root, with or without `/api/v4` and a trailing slash. */
  gitlabUrl?: string | undefined;
  /** Builds the client for an instance root (`https://gitlab.example.com`, requests go to `${root}/api/v4/...`). */
  client: (root: string, token: string) => GitLabApi;
}

type Root = { root: string; unavailable?: undefined } | { unavailable: string; root?: undefined };

/**
 * The instance root from a GitLab URL: `https://gitlab.example.com`, `.../` and `.../api/v4`
 * all give `https://gitlab.example.com` (a relative URL root such as `/gitlab` is kept). Plain
 * http is refused outside this machine: the token travels with every request.
 */
export function gitlabInstanceRoot(url: string, what: string): Root {
  const trimmed = url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v4$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return { unavailable: `${what} is not a URL` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { unavailable: `${what} is not an http(s) URL` };
  if (parsed.protocol === 'http:' && !isLoopbackHostname(parsed.hostname)) {
    return { unavailable: `${what} uses plain http, which would send the GitLab API token in clear (set ${ENV.gitlabUrl} to its https address)` };
  }
  // Query, fragment and credentials in the URL are not part of the root.
  return { root: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}` };
}

/** The origin of a project's `web_url`: the instance, when GITLAB_URL does not name it. */
function rootFromProject(projectWebUrl: string): Root {
  let parsed: URL;
  try {
    parsed = new URL(projectWebUrl);
  } catch {
    return { unavailable: `the project's web_url is not a URL (set ${ENV.gitlabUrl})` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { unavailable: `the project's web_url is not an http(s) URL (set ${ENV.gitlabUrl})` };
  return gitlabInstanceRoot(parsed.origin, `the project's GitLab (${parsed.origin})`);
}

/** What a failed token read says: the error's class and message, never the secret (neither quotes it). */
function readFailure(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `the GitLab API token could not be read (${message.replace(/\s+/g, ' ').slice(0, 200)})`;
}

/**
 * GitLab API access for the worker's planners: one client per instance root, built with the
 * current token and rebuilt when the token changes (a rotated secret is picked up when the
 * secret reader's cache expires). Never throws: a missing token, a bad URL or a failed secret
 * read becomes the `unavailable` line the notice shows instead of the extra.
 */
export function createGitLabAccess(options: GitLabAccessOptions): GitLabAccess {
  const configured = options.gitlabUrl?.trim() ? gitlabInstanceRoot(options.gitlabUrl, ENV.gitlabUrl) : undefined;
  const clients = new Map<string, { token: string; api: GitLabApi }>();
  return {
    async forProject(projectWebUrl) {
      const where = configured ?? rootFromProject(projectWebUrl);
      if (where.unavailable !== undefined) return { unavailable: where.unavailable };
      let token: string | undefined;
      try {
        token = await options.credentials.gitlabApiToken();
      } catch (error) {
        return { unavailable: readFailure(error) };
      }
      if (!token) return { unavailable: NO_GITLAB_API_TOKEN };
      const cached = clients.get(where.root);
      if (cached?.token === token) return { api: cached.api };
      let api: GitLabApi;
      try {
        api = options.client(where.root, token);
      } catch (error) {
        return { unavailable: `no GitLab client for ${where.root} (${error instanceof Error ? error.message : String(error)})` };
      }
      clients.set(where.root, { token, api });
      return { api };
    },
  };
}
