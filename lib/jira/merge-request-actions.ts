import type { MergeRequestEvent } from '../gitlab/schemas.js';
import { onOrigin } from '../gitlab/links.js';
import { projectKey } from '../gitlab/project-identity.js';
import { adfDocument, link, text } from './adf.js';
import type { JiraConfig } from './config.js';
import { findIssueKeys } from './issue-keys.js';
import { commentAction, skipped, transitionAction, type JiraAction } from './issue-actions.js';
import { branchActs, globMatches } from './policy.js';
import type { JiraSession } from './session.js';
import type { TransitionRequest } from './transition.js';

/** The Jira actions of a merge request event: move its issues to review or done, and link them. */
export function planMergeRequest(event: MergeRequestEvent, config: JiraConfig, jira: JiraSession): JiraAction[] {
  const mr = event.object_attributes;
  const projectPath = event.project.path_with_namespace;
  const mrKey = (issueKey: string) => `jira:${issueKey}:mr:${projectKey(event.project)}:${mr.iid}`;
  if (config.gitlabProjects && !config.gitlabProjects.some((pattern) => globMatches(pattern, projectPath))) return [];

  const intent = mergeRequestIntent(event, config);
  if (!intent) return [];
  const keys = findIssueKeys([mr.title, mr.source_branch, mr.description ?? ''].join('\n'), config.projectKeys);
  if (keys.length === 0) return [];
  const what = `${projectPath}!${mr.iid}`;
  if (event.user.username && config.ignoreUsers.includes(event.user.username)) {
    return [
      skipped(
        `jira:mr:${projectKey(event.project)}:${mr.iid}:${mr.action ?? 'event'}:ignored-user`,
        what,
        `Jira updates for ${what}`,
        `event by ${event.user.username}, listed in jira.ignoreUsers`,
      ),
    ];
  }
  if (intent === 'close') {
    const decision = branchActs(config.branches, mr.target_branch, event.project.default_branch);
    if (!decision.acts)
      return [skipped(`jira:mr:${projectKey(event.project)}:${mr.iid}:merged:branch`, what, `move ${keys.join(', ')} on merge of ${what}`, decision.reason)];
  }

  const action = intent === 'close' ? 'merged' : 'review';
  const target = intent === 'close' ? config.transitions.close : config.transitions.review;
  const actions: JiraAction[] = [];
  // Links go only to the project's own GitLab instance (the payload's URLs are input).
  const mrUrl = onOrigin(mr.url, event.project.web_url);
  const mrLink = mrUrl ? link(`${projectPath}!${mr.iid}`, mrUrl) : text(`${projectPath}!${mr.iid}`);
  for (const issueKey of keys) {
    const request: TransitionRequest = { kind: 'intent', intent, target };
    const transitionKey = `${mrKey(issueKey)}:${action}`;
    actions.push(transitionAction(transitionKey, issueKey, request, `${what} ${intent === 'close' ? 'merged' : 'opened'}`, jira));
    const body = adfDocument([
      [text('Merge request '), mrLink, text(`: ${mr.title}`)],
      [
        text(
          intent === 'close'
            ? `Merged into ${mr.target_branch} by ${event.user.username ?? event.user.name ?? 'someone'}.`
            : `Opened for review by ${event.user.username ?? event.user.name ?? 'someone'} (${mr.source_branch} → ${mr.target_branch}).`,
        ),
      ],
    ]);
    // Like a commit's link comment, it follows its transition: an issue already Done, or one Jira
    // offers no such transition for, gets no comment, and the delivery log says why.
    actions.push({
      ...commentAction(`${transitionKey}:comment`, issueKey, body, `link ${issueKey} to ${what} (${action})`, jira, 'link'),
      after: { keys: [transitionKey], otherwise: `no comment: ${issueKey} was not moved` },
    });
  }
  return actions;
}

/** `review` when an MR is opened or marked ready, `close` when merged; only as configured. */
function mergeRequestIntent(event: MergeRequestEvent, config: JiraConfig): 'review' | 'close' | undefined {
  const mr = event.object_attributes;
  const draft = mr.draft ?? mr.work_in_progress ?? false;
  if (mr.action === 'merge') return config.mergeRequests.onMerge === 'close' ? 'close' : undefined;
  if (config.mergeRequests.onOpen !== 'review' || draft) return undefined;
  if (mr.action === 'open' || mr.action === 'reopen') return 'review';
  if (mr.action === 'update' && becameReady(event.changes)) return 'review';
  return undefined;
}

function becameReady(changes: MergeRequestEvent['changes']): boolean {
  const change = (changes?.draft ?? changes?.work_in_progress) as { previous?: unknown; current?: unknown } | undefined;
  return change?.previous === true && change.current === false;
}
