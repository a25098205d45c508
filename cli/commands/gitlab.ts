import type { Command } from 'commander';
import type { DeliveryStore } from '../../lib/deliveries/store.js';
import { hookProblems } from '../../lib/gitlab/hook-problems.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import { openDeliveryQueue, openDeliveryStore } from '../bridge-clients.js';
import type { CommandSetup } from '../command-setup.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { toJson } from '../format/table.js';
import { callGitLab, gitlabApi, gitlabCredentials, GITLAB_ACCESS_OPTIONS } from '../gitlab/access.js';
import {
  BRANCH_FILTER_STRATEGIES,
  DEFAULT_HOOK_EVENTS,
  enabledEvents,
  HOOK_EVENT_FLAGS,
  hookHealth,
  hookRequestBody,
  isBridgeHook,
  parseHookEvents,
  planConnect,
  testTrigger,
  type BranchFilterStrategy,
  type GitLabHook,
} from '../gitlab/hook-plan.js';
import { gitlabTestErrorToCliError, type GitLabHooksApi, type GitLabProject } from '../gitlab/hooks-api.js';
import { recoverCommand } from '../gitlab/recover.js';
import { statusCommand } from '../gitlab/status.js';
import {
  choiceOption,
  flagOption,
  listOption,
  negatedFlagOption,
  nonNegativeInt,
  numberOption,
  optionalValueOption,
  requiredTextOption,
  textOption,
  textOptionWithDefault,
} from '../options.js';
import { CLI_ENV } from '../resources.js';
import { warnTokenFlag } from '../secret-flags.js';
import { WEBHOOK_PATH } from '../../lib/receiver/webhook-path.js';

/** How long `connect --test` waits for the test delivery to show up in the delivery log. */
export const DEFAULT_TEST_WAIT_SECONDS = 30;
const POLL_INTERVAL_MS = 1_000;

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
  /** Present when connect cleared the hook's custom webhook template. */
  clearedCustomTemplate?: true;
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
  const project: GitLabProject = await callGitLab(api, 'read the project', options.project, () => api.getProject(options.project));
  const path = project.path_with_namespace;
  const hooks = await callGitLab(api, "list the project's webhooks", path, () => api.listHooks(path));
  const plan = planConnect(hooks, options.webhookUrl);
  const existing = plan.action === 'update' ? hooks.find((candidate) => candidate.id === plan.hookId) : undefined;
  const clearCustomTemplate = existing !== undefined && hasCustomTemplate(existing);
  const body = hookRequestBody({
    url: options.webhookUrl,
    token: options.token,
    events,
    ...(options.branchFilter !== undefined ? { branchFilter: options.branchFilter } : {}),
    ...(strategy ? { branchFilterStrategy: strategy } : {}),
    enableSslVerification: options.sslVerification,
    ...(options.signingKey ? { signingToken: options.signingKey } : {}),
    ...(clearCustomTemplate ? { clearCustomTemplate } : {}),
  });
  const hook =
    plan.action === 'create'
      ? await callGitLab(api, 'create the webhook', path, () => api.createHook(path, body))
      : await callGitLab(api, 'update the webhook', path, () => api.updateHook(path, plan.hookId, body));
  const result: ConnectResult = {
    project: path,
    projectId: project.id,
    hookId: hook.id,
    action: plan.action === 'create' ? 'created' : 'updated',
    url: options.webhookUrl,
    events: enabledEvents(hook).length > 0 ? enabledEvents(hook) : [...events],
    duplicates: plan.action === 'update' ? plan.duplicates : [],
    ...(clearCustomTemplate ? { clearedCustomTemplate: true } : {}),
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
  if (clearCustomTemplate) {
    out.push("Cleared the hook's custom webhook template: GitLab was sending the template's output instead of the event, which the bridge cannot act on.");
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

function hasCustomTemplate(hook: GitLabHook): boolean {
  return hookProblems(hook).some((problem) => problem.code === 'custom_webhook_template');
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
  const hooks = await callGitLab(api, "list the project's webhooks", options.project, () => api.listHooks(options.project));
  const ours = hooks.filter((hook) => isBridgeHook(hook, options.webhookUrl));
  for (const hook of ours) {
    await callGitLab(api, `delete webhook #${hook.id}`, options.project, () => api.deleteHook(options.project, hook.id));
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

const CONNECT_OPTIONS = {
  project: requiredTextOption('-p, --project <path>', 'project path (group/app) or numeric id'),
  events: textOptionWithDefault('--events <list>', `events to send: ${Object.keys(HOOK_EVENT_FLAGS).join(', ')}`, DEFAULT_HOOK_EVENTS.join(',')),
  branchFilter: textOption('--branch-filter <filter>', 'push_events_branch_filter: only pushes to these branches (e.g. main, release/*)'),
  branchFilterStrategy: choiceOption('--branch-filter-strategy <strategy>', 'how GitLab reads --branch-filter', BRANCH_FILTER_STRATEGIES),
  sslVerification: negatedFlagOption('--no-ssl-verification', 'let GitLab skip TLS certificate checks (only for a self-signed bridge endpoint)'),
  webhookToken: textOption(
    '--webhook-token <token>',
    `token GitLab sends (env ${CLI_ENV.webhookToken}; default: the first token in the bridge's GitLab secret)`,
  ),
  signingKey: textOption(
    '--signing-key <whsec>',
    `Standard Webhooks signing token for GitLab 18.x (env ${CLI_ENV.signingKey}; default: the secret's signingKeys[0])`,
  ),
  test: optionalValueOption('--test [trigger]', 'then have GitLab send a test event (default push) and wait for it to reach the bridge'),
  wait: numberOption('--wait <seconds>', 'how long --test waits for the delivery', nonNegativeInt('--wait'), DEFAULT_TEST_WAIT_SECONDS),
  json: flagOption('--json', 'the result as JSON'),
  ...GITLAB_ACCESS_OPTIONS,
};

const DISCONNECT_OPTIONS = {
  project: requiredTextOption('-p, --project <path>', 'project path (group/app) or numeric id'),
  json: flagOption('--json', 'the result as JSON'),
  ...GITLAB_ACCESS_OPTIONS,
};

const STATUS_OPTIONS = {
  project: listOption('-p, --project <path>', 'only these projects (repeat or comma-separate); default: every project you maintain'),
  json: flagOption('--json', 'JSON for scripts'),
  ...GITLAB_ACCESS_OPTIONS,
};

const RECOVER_OPTIONS = {
  project: listOption('-p, --project <path>', 'only these projects (repeat or comma-separate); default: every project you maintain'),
  since: textOption('--since <when>', 'scan from here (30m, 24h, 7d or an ISO time) instead of the last scan; GitLab keeps 7 days'),
  dryRun: flagOption('--dry-run', 'only report what would be recovered'),
  resend: flagOption('--resend', "have GitLab resend each event (5 a minute per hook) instead of recording it from GitLab's log"),
  json: flagOption('--json', 'counts and every event as JSON'),
  ...GITLAB_ACCESS_OPTIONS,
};

/** `gitlab-bridge gitlab connect|disconnect|status|recover` */
export function registerGitlab(program: Command, { context, resources, action }: CommandSetup): void {
  const gitlab = program.command('gitlab').description('Connect GitLab projects to the bridge (project webhooks, GitLab REST API v4).');
  action(
    gitlab.command('connect').description('Create or update (same URL: no duplicate) the project webhook that sends events to the bridge.'),
    CONNECT_OPTIONS,
    async (options, command) => {
      const api = await gitlabApi(context, options);
      if (options.webhookToken) warnTokenFlag(context, '--webhook-token', `${CLI_ENV.webhookToken} or the bridge's GitLab secret`);
      if (options.signingKey) warnTokenFlag(context, '--signing-key', `${CLI_ENV.signingKey} or the bridge's GitLab secret`);
      const bridge = resources(command);
      const webhookUrl = await bridge.webhookUrl(options.webhookUrl);
      const credentials = await bridge.webhookCredentials(
        {
          ...(options.webhookToken ? { token: options.webhookToken } : {}),
          ...(options.signingKey ? { signingKey: options.signingKey } : {}),
        },
        '--webhook-token',
        options.project,
      );
      return connectCommand(context, api, () => openDeliveryStore(context, bridge), {
        project: options.project,
        webhookUrl,
        token: credentials.token,
        ...(credentials.signingKey ? { signingKey: credentials.signingKey } : {}),
        events: options.events,
        ...(options.branchFilter !== undefined ? { branchFilter: options.branchFilter } : {}),
        ...(options.branchFilterStrategy ? { branchFilterStrategy: options.branchFilterStrategy } : {}),
        sslVerification: options.sslVerification,
        ...(options.test !== undefined ? { test: options.test } : {}),
        waitSeconds: options.wait,
        json: options.json,
      });
    },
  ).addHelpText('after', '\nExample:\n  GITLAB_URL=https://gitlab.example.com GITLAB_TOKEN=glpat-... gitlab-bridge gitlab connect --project group/app --test');
  action(gitlab.command('disconnect').description('Remove the project webhook(s) that point at the bridge.'), DISCONNECT_OPTIONS, async (options, command) => {
    const api = await gitlabApi(context, options);
    const webhookUrl = await resources(command).webhookUrl(options.webhookUrl);
    return disconnectCommand(context, api, { project: options.project, webhookUrl, json: options.json });
  });
  action(
    gitlab
      .command('status')
      .description(
        "List connected projects with GitLab's alert status, so an auto-disabled hook is noticed (exit 1 if one is disabled or has a custom webhook template, or a --project is not connected or cannot be read).",
      ),
    STATUS_OPTIONS,
    async (options, command) => {
      const api = await gitlabApi(context, options);
      let webhookUrl: string | undefined;
      try {
        webhookUrl = await resources(command).webhookUrl(options.webhookUrl);
      } catch (error) {
        // Without the stack, recognise the bridge's hooks by name and path instead.
        context.stderr.write(
          `note: matching hooks named gitlab-bridge or ending in ${WEBHOOK_PATH} (${error instanceof CliError ? error.line() : String(error)})\n`,
        );
      }
      return statusCommand(context, api, { projects: options.project ?? [], webhookUrl, json: options.json });
    },
  );
  action(
    gitlab
      .command('recover')
      .description(
        'Recover deliveries GitLab failed to make (its hook event log, last 7 days): record and process the ones the bridge has no record of, or --resend them (exit 1 if one failed or a hook is disabled).',
      ),
    RECOVER_OPTIONS,
    async (options, command) => {
      const api = await gitlabApi(context, options);
      const credentials = await gitlabCredentials(context, options);
      const bridge = resources(command);
      let webhookUrl: string | undefined;
      try {
        webhookUrl = await bridge.webhookUrl(options.webhookUrl);
      } catch (error) {
        context.stderr.write(
          `note: matching hooks named gitlab-bridge or ending in ${WEBHOOK_PATH} (${error instanceof CliError ? error.line() : String(error)})\n`,
        );
      }
      const projects =
        options.project && options.project.length > 0
          ? options.project
          : (await callGitLab(api, 'list your projects', undefined, () => api.listMaintainedProjects())).map((project) => project.path_with_namespace);
      const [deliveries, queue, tableName] = await Promise.all([openDeliveryStore(context, bridge), openDeliveryQueue(context, bridge), bridge.tableName()]);
      return recoverCommand(
        context,
        {
          gitlab: { url: api.instance, token: credentials.token, fetch: context.fetch },
          deliveries,
          queue,
          state: new DynamoDbStateStore(context.aws.dynamodb(), tableName),
          ...(webhookUrl ? { webhookUrl } : {}),
        },
        { projects, ...(options.since ? { since: options.since } : {}), dryRun: options.dryRun, resend: options.resend, json: options.json },
      );
    },
  ).addHelpText(
    'after',
    '\nExample:\n  GITLAB_URL=https://gitlab.example.com GITLAB_TOKEN=glpat-... gitlab-bridge gitlab recover --project group/app --since 24h --dry-run',
  );
}
