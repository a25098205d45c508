import { hookProblems } from '../../lib/gitlab/hook-problems.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { renderTable, shortTime, toJson } from '../format/table.js';
import { callGitLab } from './access.js';
import { enabledEvents, hookHealth, isBridgeHook, type GitLabHook } from './hook-plan.js';
import { gitlabErrorToCliError, type GitLabHooksApi } from './hooks-api.js';

export interface StatusRow {
  project: string;
  hookId: number | null;
  state: 'ok' | 'temporarily_disabled' | 'disabled' | 'not_connected' | 'error';
  disabledUntil: string | null;
  events: string[];
  branchFilter: string | null;
  url: string | null;
  error?: string;
  /** Present when the hook has one: `custom_webhook_template` (GitLab sends a template's output, not the event). */
  problems?: string[];
}

/**
 * `gitlab status`: the bridge's hooks on the given projects (or every project the token can
 * maintain), with GitLab's alert status, so an auto-disabled hook is noticed. Exits 1 when a
 * hook is disabled or has a custom webhook template, or a project named with --project is not
 * connected or cannot be read, for use in a scheduled check.
 */
export async function statusCommand(
  context: CliContext,
  api: GitLabHooksApi,
  options: { projects: string[]; webhookUrl: string | undefined; json: boolean },
): Promise<ExitCode> {
  const explicit = options.projects.length > 0;
  const projects = explicit
    ? options.projects
    : (await callGitLab(api, 'list your projects', undefined, () => api.listMaintainedProjects())).map((project) => project.path_with_namespace);
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
      const problems = hookProblems(hook).map((problem) => problem.code);
      rows.push({
        project,
        hookId: hook.id,
        state: health.state,
        disabledUntil: health.state === 'temporarily_disabled' ? health.until : null,
        events: enabledEvents(hook),
        branchFilter: hook.push_events_branch_filter || null,
        url: hook.url,
        ...(problems.length > 0 ? { problems } : {}),
      });
    }
  }
  const disabled = rows.filter((row) => row.state === 'disabled' || row.state === 'temporarily_disabled');
  // Rows only a --project list produces: a named project the bridge hears nothing from.
  const unheard = rows.filter((row) => row.state === 'not_connected' || row.state === 'error');
  // A hook with a template delivers, but nothing the bridge can act on.
  const templated = rows.filter((row) => row.problems?.includes('custom_webhook_template'));
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
              : `${row.state.replace('_', ' ')}${row.problems?.includes('custom_webhook_template') ? ', custom template' : ''}`,
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
    if (templated.length > 0) {
      context.stdout.write(
        `${templated.length} hook${templated.length === 1 ? ' has' : 's have'} a custom webhook template: GitLab sends the template's output instead of the event, which the bridge records as ignored; clear it with \`gitlab-bridge gitlab connect --project P\`.\n`,
      );
    }
  }
  return disabled.length > 0 || unheard.length > 0 || templated.length > 0 ? EXIT.failure : EXIT.ok;
}
