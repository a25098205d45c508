import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { flagOption, textOption, type OptionValues } from '../options.js';
import { CLI_ENV } from '../resources.js';
import { warnTokenFlag } from '../secret-flags.js';
import { GitLabHooksApi, gitlabErrorToCliError } from './hooks-api.js';

export const DEFAULT_GITLAB_URL = 'https://gitlab.com';

/** The options of every `gitlab` command: which instance, the access token, the bridge's URL. */
export const GITLAB_ACCESS_OPTIONS = {
  gitlabUrl: textOption('--gitlab-url <url>', `GitLab instance (env ${CLI_ENV.gitlabUrl}, default ${DEFAULT_GITLAB_URL})`),
  tokenStdin: flagOption('--token-stdin', `read the access token (api scope) from stdin instead of env ${CLI_ENV.gitlabToken}`),
  gitlabToken: textOption(
    '--gitlab-token <token>',
    `access token; prefer env ${CLI_ENV.gitlabToken} or --token-stdin (a flag is visible in \`ps\` and shell history)`,
  ),
  webhookUrl: textOption('--webhook-url <url>', `the bridge's webhook URL (env ${CLI_ENV.webhookUrl}; default: the stack's WebhookUrl output)`),
};

export type GitLabAccessOptions = Pick<OptionValues<typeof GITLAB_ACCESS_OPTIONS>, 'gitlabUrl' | 'gitlabToken' | 'tokenStdin'>;

/**
 * The GitLab API client from --gitlab-url/GITLAB_URL and the access token from --token-stdin,
 * GITLAB_TOKEN or --gitlab-token (kept working, with a warning: a flag's value is visible to
 * every user of the machine in `ps`, and stays in shell history).
 */
export async function gitlabApi(context: CliContext, options: GitLabAccessOptions): Promise<GitLabHooksApi> {
  const { url, token } = await gitlabCredentials(context, options);
  return new GitLabHooksApi({ url, token, fetch: context.fetch });
}

/** The instance URL and access token the `gitlab` commands use (see gitlabApi). */
export async function gitlabCredentials(context: CliContext, options: GitLabAccessOptions): Promise<{ url: string; token: string }> {
  const url = options.gitlabUrl || context.env[CLI_ENV.gitlabUrl] || DEFAULT_GITLAB_URL;
  if (options.tokenStdin && options.gitlabToken) {
    throw new CliError('--token-stdin and --gitlab-token both give the access token', EXIT.usage, 'use one of them (preferably --token-stdin)');
  }
  let token: string | undefined;
  if (options.tokenStdin) {
    token = firstLine(await context.readStdin());
    if (!token)
      throw new CliError(
        '--token-stdin: nothing on stdin',
        EXIT.auth,
        'pipe the access token in, e.g. `pass gitlab/token | gitlab-bridge gitlab ... --token-stdin`',
      );
  } else if (options.gitlabToken) {
    warnTokenFlag(context, '--gitlab-token', `${CLI_ENV.gitlabToken} or --token-stdin`);
    token = options.gitlabToken;
  } else {
    token = context.env[CLI_ENV.gitlabToken];
  }
  if (!token) {
    throw new CliError(
      'no GitLab access token',
      EXIT.auth,
      `set ${CLI_ENV.gitlabToken} (or pipe it in with --token-stdin) to a personal or project access token with the api scope (Maintainer on the project)`,
    );
  }
  return { url, token };
}

/** The first line of what was piped in, without its line ending (`echo` adds one). */
function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

/** Runs a GitLab API call, its failure turned into a one-line CLI error naming the action and project. */
export async function callGitLab<T>(api: GitLabHooksApi, action: string, project: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw gitlabErrorToCliError(error, { instance: api.instance, action, ...(project ? { project } : {}) });
  }
}
