import type { Outlets } from '../notify/outlets.js';
import { context, header, message, section, type SlackMessage } from '../notify/slack/block-kit.js';
import { card, teamsMessage, textBlock, type TeamsMessage } from '../notify/teams/adaptive-card.js';
import { slackText, teamsText } from '../notify/text.js';
import type { StateStore } from '../state/store.js';
import type { HookScan, RecoveryReport } from './recover.js';

/** The config's ops route: a Slack channel or a Teams webhook name. */
export interface OpsRoute {
  slack?: { channel: string } | undefined;
  teams?: { webhook: string } | undefined;
}

/** The state key holding the last hook findings sent, so a hook that stays disabled is reported once, not every scan. */
export const OPS_LAST_FINDINGS_KEY = 'recovery:ops:last-hook-findings';

function hookFinding(hook: HookScan): string | undefined {
  const where = hook.hookId === null ? hook.project : `${hook.project} hook #${hook.hookId}`;
  // GitLab does not log deliveries it skips while a hook is disabled: they cannot be recovered.
  const gap = 'GitLab logs nothing while a hook is disabled, so events since it was disabled cannot be recovered: check those projects by hand';
  if (hook.reenabled) return `${where} was ${hook.state.replace('_', ' ')} and is re-enabled (a test push reached the bridge). ${gap}.`;
  if (hook.state === 'disabled')
    return `${where} is disabled by GitLab after repeated failed deliveries. ${gap}; re-enable with \`gitlab-bridge gitlab connect --project ${hook.project} --test\`.`;
  if (hook.state === 'temporarily_disabled')
    return `${where} is temporarily disabled by GitLab${hook.disabledUntil ? ` until ${hook.disabledUntil}` : ''} after failed deliveries. ${gap}.`;
  if (hook.state === 'not_connected') return `${where} has no webhook pointing at the bridge: events of this project do not reach it.`;
  if (hook.state === 'error' || hook.error) return `${where} could not be scanned: ${hook.error ?? 'unknown error'}.`;
  return undefined;
}

/**
 * What the ops route is told about a scan: hooks GitLab disabled (and the window that cannot be
 * recovered), missing hooks, unreadable projects, and failed deliveries found. Empty: nothing to say.
 */
export function opsFindings(report: RecoveryReport): { hooks: string[]; deliveries: string | undefined } {
  const hooks = report.hooks.map(hookFinding).filter((line): line is string => line !== undefined);
  const found = report.recovered + report.resent + report.failed + report.pending;
  const deliveries =
    found === 0
      ? undefined
      : `GitLab failed to deliver ${found} event${found === 1 ? '' : 's'} to the bridge: ${report.recovered} recovered from its hook log, ${report.resent} resent${
          report.pending > 0 ? `, ${report.pending} left for the next run` : ''
        }${report.failed > 0 ? `, ${report.failed} not recoverable (see the recovery logs)` : ''}.`;
  return { hooks, deliveries };
}

export function formatOpsSlack(lines: readonly string[]): SlackMessage {
  return message(`gitlab-bridge: ${slackText(lines[0] ?? '', 200)}`, [
    header(':rotating_light: gitlab-bridge: GitLab webhooks need attention'),
    ...lines.map((line) => section(slackText(line, 1_000))),
    context('From the bridge’s recovery scan of GitLab’s hook event log (docs/recovery.md).'),
  ]);
}

export function formatOpsTeams(lines: readonly string[]): TeamsMessage {
  return teamsMessage(
    card([
      textBlock('🚨 gitlab-bridge: GitLab webhooks need attention', { size: 'Large', weight: 'Bolder', color: 'Attention' }),
      ...lines.map((line) => textBlock(teamsText(line, 1_000), { spacing: 'Small' })),
      textBlock('From the bridge’s recovery scan of GitLab’s hook event log (docs/recovery.md).', { isSubtle: true, size: 'Small' }),
    ]),
  );
}

/**
 * Sends the scan's findings to the ops route, if any and if new: hook findings are sent when
 * they differ from the last ones sent; found deliveries always. Never throws: a Slack or Teams
 * failure is returned, and the scan's result stands.
 */
export async function sendOpsNotice(
  report: RecoveryReport,
  deps: { ops: OpsRoute | undefined; outlets: Outlets; state: StateStore },
): Promise<{ sent: boolean; lines: string[]; error?: string }> {
  const { hooks, deliveries } = opsFindings(report);
  const hooksKey = hooks.join('\n');
  const last = await deps.state.get<string>(OPS_LAST_FINDINGS_KEY).catch(() => undefined);
  const lines = [...(hooksKey !== (last ?? '') ? hooks : []), ...(deliveries ? [deliveries] : [])];
  if (!deps.ops || (!deps.ops.slack && !deps.ops.teams)) return { sent: false, lines };
  if (lines.length === 0) {
    // The hooks are fine again: forget the last findings, so the next problem is reported.
    if (hooksKey !== (last ?? '')) await deps.state.put(OPS_LAST_FINDINGS_KEY, hooksKey, { ttlDays: 7 }).catch(() => undefined);
    return { sent: false, lines };
  }
  try {
    if (deps.ops.slack) await deps.outlets.slackPost(deps.ops.slack.channel, formatOpsSlack(lines));
    if (deps.ops.teams) await deps.outlets.teamsPost(deps.ops.teams.webhook, formatOpsTeams(lines));
    await deps.state.put(OPS_LAST_FINDINGS_KEY, hooksKey, { ttlDays: 7 });
    return { sent: true, lines };
  } catch (error) {
    return { sent: false, lines, error: (error as Error).message };
  }
}
