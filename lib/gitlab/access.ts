import { isLoopbackHostname } from '../config/https.js';
import { ENV } from '../env.js';
import type { Credentials } from '../secrets/credentials.js';
import { GitLabUnavailable } from './api-client.js';
import type { GitLabAccess, GitLabApi } from './api.js';

/**
 * After GitLab timed out or could not be reached, it is not asked again for this long (per
 * instance, in memory per container): a stalled GitLab would otherwise cost each notice its
 * lookups' full timeouts.
 */
export const GITLAB_DOWN_CACHE_MS = 5 * 60_000;
/**
 * All GitLab lookups of one delivery together (log excerpts, reviewers' emails): at most this
 * long, so a slow GitLab cannot push a delivery past the worker's 60 s Lambda timeout.
 */
export const GITLAB_DELIVERY_BUDGET_MS = 10_000;

/** The "unavailable" line of a notice when no token is set, locally or in the stack's secret. */
export const NO_GITLAB_API_TOKEN = `no GitLab API token is configured (set ${ENV.gitlabApiToken}, or the secret named by ${ENV.gitlabApiSecretId})`;

export interface GitLabAccessOptions {
  /** Where the token comes from: env locally, Secrets Manager in the stack (read on every call; the reader caches). */
  credentials: Pick<Credentials, 'gitlabApiToken'>;
  /** GITLAB_URL: the instance root, with or without `/api/v4` and a trailing slash. */
  gitlabUrl?: string | undefined;
  /** Builds the client for an instance root (`https://gitlab.example.com`, requests go to `${root}/api/v4/...`). */
  client: (root: string, token: string) => GitLabApi;
  /**
   * Without GITLAB_URL, also take a loopback `web_url` origin (`http://127.0.0.1:3001`) as the
   * instance: the local bridge sets it for a GitLab on this machine. Never set in the stack.
   */
  allowLoopbackProject?: boolean;
  /** The clock for the "GitLab is down" cache (tests move it). */
  now?: () => number;
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

/**
 * `api` with each lookup (job log, user, token scopes) run through `through` (a time budget, a
 * down-cache). A pipeline retry is not a lookup: it passes as it is, so a retry the clicker asked
 * for is neither cut short by a notice's budget nor taken for a sign that GitLab is down.
 */
function lookupsThrough(api: GitLabApi, through: <T>(call: () => Promise<T>) => Promise<T>): GitLabApi {
  const { tokenScopes, retryPipeline } = api;
  return {
    jobTrace: (projectId, jobId, maxBytes) => through(() => api.jobTrace(projectId, jobId, maxBytes)),
    user: (userId) => through(() => api.user(userId)),
    ...(tokenScopes ? { tokenScopes: () => through(() => tokenScopes.call(api)) } : {}),
    ...(retryPipeline ? { retryPipeline: (projectId: number, pipelineId: number) => retryPipeline.call(api, projectId, pipelineId) } : {}),
  };
}

/** GitLab.com: the one instance whose address a payload may name (its origin is fixed and public). */
export const GITLAB_COM = 'https://gitlab.com';

/**
 * The instance when GITLAB_URL is not set. The API token must never go to a host a payload
 * names (anyone holding one project's webhook token could send `project.web_url:
 * https://evil.example/...` and receive PRIVATE-TOKEN), so only GitLab.com, and a loopback
 * GitLab in the local bridge, are taken from `web_url`; anything else needs GITLAB_URL.
 */
function rootFromProject(projectWebUrl: string, allowLoopback: boolean): Root {
  let origin: string | undefined;
  let hostname = '';
  try {
    const parsed = new URL(projectWebUrl);
    origin = parsed.origin;
    hostname = parsed.hostname;
  } catch {
    origin = undefined;
  }
  if (origin === GITLAB_COM) return { root: GITLAB_COM };
  if (origin !== undefined && allowLoopback && isLoopbackHostname(hostname) && /^https?:\/\//.test(origin)) return { root: origin };
  return { unavailable: unknownInstance(origin) };
}

function unknownInstance(origin: string | undefined): string {
  const which = origin !== undefined && /^https?:\/\//.test(origin) ? `the project is on ${origin}` : "the project's web_url names no GitLab";
  return `set ${ENV.gitlabUrl} to your GitLab's address (${which}) so the API token goes only there`;
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
  const now = options.now ?? Date.now;
  const down = new Map<string, { until: number; reason: string }>();
  /** Remembers a timeout or an unreachable GitLab for GITLAB_DOWN_CACHE_MS. */
  const watched = (root: string, api: GitLabApi): GitLabApi => {
    const watch = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (error instanceof GitLabUnavailable && (error.kind === 'timeout' || error.kind === 'unreachable')) {
          down.set(root, { until: now() + GITLAB_DOWN_CACHE_MS, reason: error.reason });
        }
        throw error;
      }
    };
    return lookupsThrough(api, watch);
  };
  return {
    async forProject(projectWebUrl) {
      // With GITLAB_URL set, its root is used whatever the payload's web_url says: never the payload.
      // The token first: without one, that is the line a notice shows (not where it would go).
      let token: string | undefined;
      try {
        token = await options.credentials.gitlabApiToken();
      } catch (error) {
        return { unavailable: readFailure(error) };
      }
      if (!token) return { unavailable: NO_GITLAB_API_TOKEN };
      const where = configured ?? rootFromProject(projectWebUrl, options.allowLoopbackProject === true);
      if (where.unavailable !== undefined) return { unavailable: where.unavailable };
      const wasDown = down.get(where.root);
      if (wasDown && wasDown.until > now()) {
        return { unavailable: `${wasDown.reason} a moment ago; not asked again for up to ${GITLAB_DOWN_CACHE_MS / 60_000} min` };
      }
      if (wasDown) down.delete(where.root);
      const cached = clients.get(where.root);
      if (cached?.token === token) return { api: cached.api };
      let api: GitLabApi;
      try {
        api = watched(where.root, options.client(where.root, token));
      } catch (error) {
        return { unavailable: `no GitLab client for ${where.root} (${error instanceof Error ? error.message : String(error)})` };
      }
      clients.set(where.root, { token, api });
      return { api };
    },
  };
}

/**
 * GitLab access for one delivery's lookups: together they get `budgetMs` from the first one
 * (GITLAB_DELIVERY_BUDGET_MS). A call still running when the budget runs out is answered as a
 * timeout at once (the request itself ends at its own timeout, unawaited); later ones are not
 * made. The notice then goes without the extra and says why.
 */
export function withGitLabBudget(access: GitLabAccess, budgetMs: number = GITLAB_DELIVERY_BUDGET_MS, now: () => number = Date.now): GitLabAccess {
  let deadline: number | undefined;
  const spent = () => new GitLabUnavailable(`GitLab lookups took more than ${budgetMs / 1000} s for this notice`, undefined, { kind: 'timeout' });
  const bounded = async <T>(call: () => Promise<T>): Promise<T> => {
    deadline ??= now() + budgetMs;
    const left = deadline - now();
    if (left <= 0) throw spent();
    const running = call();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(spent()), left);
      timer.unref?.();
    });
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
      // The call may still fail after the budget answered: nobody awaits it any more.
      running.catch(() => undefined);
    }
  };
  return {
    async forProject(projectWebUrl) {
      if (deadline !== undefined && deadline <= now()) return { unavailable: spent().reason };
      const result = await access.forProject(projectWebUrl);
      if (!result.api) return result;
      return { api: lookupsThrough(result.api, bounded) };
    },
  };
}
