import type { DeliveryStore } from '../../lib/deliveries/store.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { renderTable, shortTime, toJson } from '../format/table.js';
import {
  BRANCH_FILTER_STRATEGIES,
  enabledEvents,
  hookHealth,
  hookRequestBody,
  isBridgeHook,
  parseHookEvents,
  planConnect,
  testTrigger,
  type BranchFilterStrategy,
  type GitLabHook,
} from '../gitlab/hook-plan.js';
import { GitLabHooksApi, gitlabErrorToCliError, gitlabTestErrorToCliError, type GitLabProject } from '../gitlab/hooks-api.js';
import { CLI_ENV } from '../resources.js';

export const DEFAULT_GITLAB_URL = 'https://gitlab.com';
/** How long `connect --test` waits for the test delivery to show up in the delivery log. */
export const DEFAULT_TEST_WAIT_SECONDS = 30;
const POLL_INTERVAL_MS = 1_000;

export interface GitLabAccessOptions {
  gitlabUrl?: string;
  gitlabToken?: string;
  /** Read the access token from stdin (`--token-stdin`). */
  tokenStdin?: boolean;
}

/**
 * The GitLab API client from --gitlab-url/GITLAB_URL and the access token from --token-stdin,
 * GITLAB_TOKEN or --gitlab-token (kept working, with a warning: a flag's value is visible to
 * every user of the machine in `ps`, and stays in shell history).
 */
export async function gitlabApi(context: CliContext, options: GitLabAccessOptions): Promise<GitLabHooksApi> {
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
      'set GITLAB_TOKEN (or pipe it in with --token-stdin) to a personal or project access token with the api scope (Maintainer on the project)',
    );
  }
  return new GitLabHooksApi({ url, token, fetch: context.fetch });
}

/** The first line of what was piped in, without its line ending (`echo` adds one). */
function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

/** A secret given as a flag still works, with a warning on stderr naming the safer ways. */
export function warnTokenFlag(context: CliContext, flag: string, instead: string): void {
  context.stderr.write(
    `warning: ${flag} puts the secret on the command line, where other users see it in \`ps\` and it stays in shell history; use ${instead}\n`,
  );
}

async function call<T>(api: GitLabHooksApi, action: string, project: string | undefined, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw gitlabErrorToCliError(error, { instance: api.instance, action, ...(project ? { project } : {}) });
  }
}

export interface ConnectOptions {
  project: string;
  webhookUrl: string;
  token: string;
  signingKey?: string;
  events?: string;
  branchFilter?: string;
  branchFilterStrategy?: string;
  sslVerification: boolean;
  /** Fire GitLab's test trigger after connecting; `true` picks the trigger. */
  test?: string | boolean;
  waitSeconds: number;
  json: boolean;
}

export interface ConnectResult {
  project: string;
  projectId: number;
  hookId: number;
  action: 'created' | 'updated';
  url: string;
  events: string[];
  duplicates: number[];
  test?: { trigger: string; deliveryId: string | null; status: string | null };
}

function branchStrategy(value: string | undefined): BranchFilterStrategy | undefined {
  if (value === undefined) return undefined;
  if (!(BRANCH_FILTER_STRATEGIES as readonly string[]).includes(value)) {
    throw new CliError(`unknown branch filter strategy "${value}"`, EXIT.usage, `use one of ${BRANCH_FILTER_STRATEGIES.join(', ')}`);
  }
  return value as BranchFilterStrategy;
}

/**
 * `gitlab connect`: creates the project hook pointing at the bridge, or updates the one that
 * already does (same URL), so running it twice leaves one hook. With `test`, fires GitLab's
 * test trigger and waits until the delivery shows up in the bridge's delivery log.
 */
export async function connectCommand(
  context: CliContext,
  api: GitLabHooksApi,
  store: (() => Promise<DeliveryStore>) | undefined,
  options: ConnectOptions,
): Promise<ExitCode> {
  const events = parseHookEvents(options.events);
  const strategy = branchStrategy(options.branchFilterStrategy);
  const trigger = options.test ? testTrigger(events, typeof options.test === 'string' ? options.test : undefined) : undefined;
  const project: GitLabProject = await call(api, 'read the project', options.project, () => api.getProject(options.project));
  const path = project.path_with_namespace;
  const hooks = await call(api, "list the project's webhooks", path, () => api.listHooks(path));
  const plan = planConnect(hooks, options.webhookUrl);
  const body = hookRequestBody({
    url: options.webhookUrl,
    token: options.token,
    events,
    ...(options.branchFilter !== undefined ? { branchFilter: options.branchFilter } : {}),
    ...(strategy ? { branchFilterStrategy: strategy } : {}),
    enableSslVerification: options.sslVerification,
    ...(options.signingKey ? { signingToken: options.signingKey } : {}),
  });
  const hook =
    plan.action === 'create'
      ? await call(api, 'create the webhook', path, () => api.createHook(path, body))
      : await call(api, 'update the webhook', path, () => api.updateHook(path, plan.hookId, body));
  const result: ConnectResult = {
    project: path,
    projectId: project.id,
    hookId: hook.id,
    action: plan.action === 'create' ? 'created' : 'updated',
    url: options.webhookUrl,
    events: enabledEvents(hook).length > 0 ? enabledEvents(hook) : [...events],
    duplicates: plan.action === 'update' ? plan.duplicates : [],
  };
  const out: string[] = [];
  out.push(
    `${result.action === 'created' ? 'Created' : 'Updated'} webhook #${hook.id} on ${path} -> ${options.webhookUrl} (events: ${result.events.join(', ')}` +
      `${options.branchFilter ? `; push branch filter: ${options.branchFilter}${strategy ? ` (${strategy})` : ''}` : ''}` +
      `${options.sslVerification ? '' : '; SSL verification OFF'}${options.signingKey ? '; signing token set' : ''}).`,
  );
  if (result.duplicates.length > 0) {
    context.stderr.write(
      `warning: hooks ${result.duplicates.map((id) => `#${id}`).join(', ')} on ${path} also point at the bridge; each event arrives once per hook (effects still happen once). Remove them in GitLab, or run \`gitlab disconnect\` then \`gitlab connect\`.\n`,
    );
  }
  if (hookHealth(hook).state !== 'ok') {
    out.push(`The hook is ${hook.alert_status} in GitLab; a successful test (--test) re-enables it.`);
  }

  let exit: ExitCode = EXIT.ok;
  if (trigger) {
    // Without a reachable delivery log the test is still sent; only the wait is skipped.
    const deliveries = store
      ? await store().catch((error: unknown) => {
          context.stderr.write(`note: cannot watch for the test delivery (${error instanceof CliError ? error.line() : String(error)})\n`);
          return undefined;
        })
      : undefined;
    const seen = deliveries ? await recentDeliveryIds(deliveries, path, context.now()) : new Set<string>();
    try {
      await api.testHook(path, hook.id, trigger);
    } catch (error) {
      throw gitlabTestErrorToCliError(error, { instance: api.instance, project: path, trigger });
    }
    result.test = { trigger, deliveryId: null, status: null };
    if (!deliveries || options.waitSeconds <= 0) {
      out.push(`GitLab sent a test ${trigger} event; see its response in the hook's "Recent events" in GitLab.`);
    } else {
      const arrived = await waitForDelivery(context, deliveries, path, seen, options.waitSeconds);
      if (arrived) {
        result.test = { trigger, deliveryId: arrived.id, status: arrived.status };
        out.push(`Test ${trigger} event arrived: delivery ${arrived.id} (${arrived.status}). See it with \`gitlab-bridge deliveries show ${arrived.id}\`.`);
      } else {
        out.push(
          `GitLab accepted the test ${trigger} event, but no delivery for ${path} reached the bridge within ${options.waitSeconds}s; ` +
            'check the hook\'s "Recent events" in GitLab (Settings > Webhooks) for the response the bridge gave.',
        );
        exit = EXIT.failure;
      }
    }
  }
  context.stdout.write(options.json ? toJson(result) : `${out.join('\n')}\n`);
  return exit;
}

/** Deliveries of the project received in the last few minutes (clock skew between this machine and the bridge). */
async function recentDeliveryIds(store: DeliveryStore, projectPath: string, now: Date): Promise<Set<string>> {
  const since = new Date(now.getTime() - 10 * 60_000).toISOString();
  const page = await store.list({ projectPath, since, limit: 100 });
  return new Set(page.items.map((item) => item.id));
}

async function waitForDelivery(context: CliContext, store: DeliveryStore, projectPath: string, seen: ReadonlySet<string>, waitSeconds: number) {
  const deadline = Date.now() + waitSeconds * 1000;
  const since = new Date(context.now().getTime() - 10 * 60_000).toISOString();
  for (;;) {
    const page = await store.list({ projectPath, since, limit: 100 });
    const fresh = page.items.find((item) => !seen.has(item.id));
    if (fresh) return fresh;
    if (Date.now() >= deadline) return undefined;
    await context.sleep(POLL_INTERVAL_MS);
  }
}

/** `gitlab disconnect`: removes every hook of the project that points at the bridge. */
export async function disconnectCommand(
  context: CliContext,
  api: GitLabHooksApi,
  options: { project: string; webhookUrl: string; json: boolean },
): Promise<ExitCode> {
  const hooks = await call(api, "list the project's webhooks", options.project, () => api.listHooks(options.project));
  const ours = hooks.filter((hook) => isBridgeHook(hook, options.webhookUrl));
  for (const hook of ours) {
    await call(api, `delete webhook #${hook.id}`, options.project, () => api.deleteHook(options.project, hook.id));
  }
  if (options.json) {
    context.stdout.write(toJson({ project: options.project, removed: ours.map((hook) => hook.id) }));
  } else if (ours.length === 0) {
    context.stdout.write(`${options.project} has no webhook pointing at ${options.webhookUrl}; nothing to remove.\n`);
  } else {
    context.stdout.write(`Removed webhook${ours.length === 1 ? '' : 's'} ${ours.map((hook) => `#${hook.id}`).join(', ')} from ${options.project}.\n`);
  }
  return EXIT.ok;
}

export interface StatusRow {
  project: string;
  hookId: number | null;
  state: 'ok' | 'temporarily_disabled' | 'disabled' | 'not_connected' | 'error';
  disabledUntil: string | null;
  events: string[];
  branchFilter: string | null;
  url: string | null;
  error?: string;
}

/**
 * `gitlab status`: the bridge's hooks on the given projects (or every project the token can
 * maintain), with GitLab's alert status, so an auto-disabled hook is noticed. Exits 1 when a
 * hook is disabled, or a project named with --project is not connected or cannot be read, for
 * use in a scheduled check.
 */
export async function statusCommand(
  context: CliContext,
  api: GitLabHooksApi,
  options: { projects: string[]; webhookUrl: string | undefined; json: boolean },
): Promise<ExitCode> {
  const explicit = options.projects.length > 0;
  const projects = explicit
    ? options.projects
    : (await call(api, 'list your projects', undefined, () => api.listMaintainedProjects())).map((project) => project.path_with_namespace);
  const rows: StatusRow[] = [];
  for (const project of projects) {
    let hooks: GitLabHook[];
    try {
      hooks = await api.listHooks(project);
    } catch (error) {
      const cliError = gitlabErrorToCliError(error, { instance: api.instance, project, action: "list the project's webhooks" });
      // One project the token cannot read does not hide the others, but a bad token, or a
      // GITLAB_URL that redirects, stops here: every other project would fail the same way.
      if (cliError.exitCode === EXIT.auth && (error as { status?: number }).status === 401) throw cliError;
      if (cliError.exitCode === EXIT.usage) throw cliError;
      rows.push({ project, hookId: null, state: 'error', disabledUntil: null, events: [], branchFilter: null, url: null, error: cliError.message });
      continue;
    }
    const ours = hooks.filter((hook) => isBridgeHook(hook, options.webhookUrl));
    if (ours.length === 0 && explicit)
      rows.push({ project, hookId: null, state: 'not_connected', disabledUntil: null, events: [], branchFilter: null, url: null });
    for (const hook of ours) {
      const health = hookHealth(hook);
      rows.push({
        project,
        hookId: hook.id,
        state: health.state,
        disabledUntil: health.state === 'temporarily_disabled' ? health.until : null,
        events: enabledEvents(hook),
        branchFilter: hook.push_events_branch_filter || null,
        url: hook.url,
      });
    }
  }
  const disabled = rows.filter((row) => row.state === 'disabled' || row.state === 'temporarily_disabled');
  // Rows only a --project list produces: a named project the bridge hears nothing from.
  const unheard = rows.filter((row) => row.state === 'not_connected' || row.state === 'error');
  if (options.json) {
    context.stdout.write(toJson({ hooks: rows }));
  } else if (rows.length === 0) {
    context.stdout.write(
      'No project you maintain has a webhook pointing at the bridge. Connect one with `gitlab-bridge gitlab connect --project group/app`.\n',
    );
  } else {
    context.stdout.write(
      renderTable(
        [
          { header: 'PROJECT', maxWidth: 50 },
          { header: 'HOOK', align: 'right' },
          { header: 'STATE' },
          { header: 'EVENTS', maxWidth: 40 },
          { header: 'BRANCH FILTER', maxWidth: 30 },
          { header: 'URL', maxWidth: 70 },
        ],
        rows.map((row) => [
          row.project,
          row.hookId === null ? '-' : `#${row.hookId}`,
          row.state === 'temporarily_disabled'
            ? `temporarily disabled${row.disabledUntil ? ` until ${shortTime(row.disabledUntil)} UTC` : ''}`
            : row.state === 'error'
              ? `error: ${row.error ?? ''}`
              : row.state.replace('_', ' '),
          row.events.join(',') || '-',
          row.branchFilter ?? '-',
          row.url ?? '-',
        ]),
      ),
    );
    if (disabled.length > 0) {
      context.stdout.write(
        `${disabled.length} hook${disabled.length === 1 ? ' is' : 's are'} disabled by GitLab after failed deliveries: fix the cause, then re-enable with \`gitlab-bridge gitlab connect --project P --test\`.\n`,
      );
    }
    if (unheard.length > 0) {
      context.stdout.write(
        `${unheard.length} named project${unheard.length === 1 ? ' is' : 's are'} not connected to the bridge or could not be read: connect ${unheard.length === 1 ? 'it' : 'them'} with \`gitlab-bridge gitlab connect --project P\`, or check the name.\n`,
      );
    }
  }
  return disabled.length > 0 || unheard.length > 0 ? EXIT.failure : EXIT.ok;
}
