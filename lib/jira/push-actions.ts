import type { GitLabCommit, PushEvent } from '../gitlab/schemas.js';
import { projectKey } from '../gitlab/project-identity.js';
import type { PlanContext } from '../worker/action.js';
import { adfDocument, link, text, type AdfDocument, type AdfText } from './adf.js';
import type { JiraConfig } from './config.js';
import { commentAction, skipped, transitionAction, type JiraAction } from './issue-actions.js';
import { parseCommitMessage, type CommitCommand, type RejectedCommand } from './parse-commit.js';
import { branchActs, cherryPickOrigin, globMatches, isMergeCommit, jiraDateTime, slug, targetSlug } from './policy.js';
import type { JiraSession } from './session.js';
import type { TransitionRequest } from './transition.js';
import { onOrigin } from '../gitlab/links.js';

interface CommitContext {
  commit: GitLabCommit;
  /** The sha effect keys use: the commit's own, or for a cherry-pick (`-x`) the original's. */
  sha: string;
  short: string;
  projectPath: string;
  /** The project's web_url: links go only to its origin (the GitLab instance). */
  projectUrl: string;
  branch: string;
  pusher: string;
}

/** The Jira actions of a push: the Smart Commit commands and issue references of its commits. */
export function planPush(event: PushEvent, config: JiraConfig, jira: JiraSession, context: PlanContext): JiraAction[] {
  if (event.object_kind !== 'push' || !event.ref.startsWith('refs/heads/')) return [];
  const branch = event.ref.slice('refs/heads/'.length);
  const projectPath = event.project.path_with_namespace;
  const pushKey = `jira:push:${projectKey(event.project)}:${event.after}`;
  if (config.gitlabProjects && !config.gitlabProjects.some((pattern) => globMatches(pattern, projectPath))) return [];
  if (event.user_username && config.ignoreUsers.includes(event.user_username)) {
    return [skipped(`${pushKey}:ignored-user`, projectPath, `push to ${branch}`, `pushed by ${event.user_username}, listed in jira.ignoreUsers`)];
  }

  const actions: JiraAction[] = [];
  const total = event.total_commits_count ?? event.commits.length;
  if (total > event.commits.length) {
    actions.push(
      skipped(
        `${pushKey}:truncated`,
        projectPath,
        `read commit messages of the push to ${branch}`,
        `GitLab sent ${event.commits.length} of ${total} commits (it includes at most 20 per push); commands in the other ${total - event.commits.length} commits were not read`,
      ),
    );
  }

  const parseOptions = {
    smartCommits: config.smartCommits,
    closingKeywords: config.closingKeywords,
    ...(config.projectKeys ? { projectKeys: config.projectKeys } : {}),
  };
  const seen = new Set<string>();
  const perCommit: { context: CommitContext; commands: CommitCommand[]; rejected: RejectedCommand[]; mentions: string[] }[] = [];
  for (const commit of event.commits) {
    if (seen.has(commit.id)) continue;
    seen.add(commit.id);
    if (config.skipMergeCommits && isMergeCommit(commit.message)) continue;
    const parsed = parseCommitMessage(commit.message, parseOptions);
    if (parsed.commands.length === 0 && parsed.rejected.length === 0 && !(config.commentOnMention && parsed.mentions.length > 0)) continue;
    perCommit.push({
      context: {
        commit,
        sha: cherryPickOrigin(commit.message) ?? commit.id,
        short: commit.id.slice(0, 8),
        projectPath,
        projectUrl: event.project.web_url,
        branch,
        pusher: event.user_username ?? event.user_name ?? 'someone',
      },
      commands: parsed.commands,
      rejected: parsed.rejected,
      mentions: parsed.mentions,
    });
  }
  if (perCommit.length === 0) return actions;

  const decision = branchActs(config.branches, branch, event.project.default_branch);
  if (!decision.acts) {
    actions.push(skipped(`${pushKey}:branch`, projectPath, `Jira commands in ${perCommit.length} commit(s) on ${branch}`, decision.reason));
    return actions;
  }
  // A commit and its `-x` cherry-pick in one push share effect keys: plan each key once, so the
  // delivery log holds one outcome per effect.
  const planned = new Set(actions.map((action) => action.key));
  for (const entry of perCommit) {
    for (const action of commitActions(entry.context, entry.commands, entry.rejected, entry.mentions, config, jira, context)) {
      if (planned.has(action.key)) continue;
      planned.add(action.key);
      actions.push(action);
    }
  }
  return actions;
}

function commitActions(
  commit: CommitContext,
  commands: readonly CommitCommand[],
  rejected: readonly RejectedCommand[],
  mentions: readonly string[],
  config: JiraConfig,
  jira: JiraSession,
  context: PlanContext,
): JiraAction[] {
  const byKey = new Map<string, JiraAction>();
  const counters = new Map<string, number>();
  const commented = new Set<string>();
  /** Issue key -> the keys of this commit's transitions of it. */
  const moved = new Map<string, string[]>();
  const move = (issueKey: string, transitionKey: string) => {
    const keys = moved.get(issueKey) ?? [];
    if (!keys.includes(transitionKey)) keys.push(transitionKey);
    moved.set(issueKey, keys);
  };
  const base = (issueKey: string) => `jira:${issueKey}:commit:${commit.sha}`;
  const numbered = (issueKey: string, what: string) => {
    const counter = `${issueKey}:${what}`;
    const n = (counters.get(counter) ?? 0) + 1;
    counters.set(counter, n);
    return `${base(issueKey)}:${what}${n > 1 ? `:${n}` : ''}`;
  };
  const add = (action: JiraAction) => {
    if (!byKey.has(action.key)) byKey.set(action.key, action);
  };

  for (const command of commands) {
    for (const issueKey of command.keys) {
      switch (command.kind) {
        case 'close': {
          const request: TransitionRequest = { kind: 'intent', intent: 'close', target: config.transitions.close };
          const key = `${base(issueKey)}:transition:${targetSlug(config.transitions.close)}`;
          add(transitionAction(key, issueKey, request, `"${command.keyword}" in ${commit.short}`, jira));
          move(issueKey, key);
          break;
        }
        case 'transition': {
          const request: TransitionRequest = { kind: 'command', name: command.name, command: command.command };
          const key = `${base(issueKey)}:transition:${slug(command.name)}`;
          add(transitionAction(key, issueKey, request, `#${command.command} in ${commit.short}`, jira));
          move(issueKey, key);
          if (command.comment) {
            add(
              commentAction(
                numbered(issueKey, 'comment'),
                issueKey,
                commitComment(command.comment, commit),
                `comment on ${issueKey} from ${commit.short}`,
                jira,
              ),
            );
            commented.add(issueKey);
          }
          break;
        }
        case 'comment':
          add(commentAction(numbered(issueKey, 'comment'), issueKey, commitComment(command.text, commit), `comment on ${issueKey} from ${commit.short}`, jira));
          commented.add(issueKey);
          break;
        case 'time':
          add(worklogAction(numbered(issueKey, 'worklog'), issueKey, command, commit, context, jira));
          break;
      }
    }
  }

  // A command the author meant but that cannot run (`#time soon`) is recorded with the reason,
  // so the delivery log answers "why did nothing happen?". Recorded, never claimed: no effect.
  for (const command of rejected) {
    for (const issueKey of command.keys) {
      add(
        skipped(
          numbered(issueKey, 'rejected'),
          issueKey,
          `${command.text} on ${issueKey} from ${commit.short}`,
          `${command.reason} (line ${command.line}: ${JSON.stringify(command.text)})`,
        ),
      );
    }
  }

  // The issue shows the commit that moved it (GitLab's integration comments likewise), and,
  // when commentOnMention is on, every commit that mentions it: one reference comment each.
  // For a commit that only asked to move it, the comment waits for a transition that ran: an
  // ambiguous `#in`, a `#review` Jira does not offer, or `Fixes` on an issue already Done add
  // no comment (GitLab's users' most common complaint about its integration is such repeats).
  const mentioned = new Set(config.commentOnMention ? mentions : []);
  const referenced = new Set([...moved.keys(), ...mentioned]);
  for (const issueKey of referenced) {
    if (commented.has(issueKey)) continue;
    const comment = commentAction(`${base(issueKey)}:mention`, issueKey, commitReference(commit), `link ${issueKey} to commit ${commit.short}`, jira, 'link');
    const transitions = moved.get(issueKey);
    add(mentioned.has(issueKey) || !transitions ? comment : { ...comment, after: { keys: transitions, otherwise: `no comment: ${issueKey} was not moved` } });
  }
  return [...byKey.values()];
}

function worklogAction(
  key: string,
  issueKey: string,
  command: Extract<CommitCommand, { kind: 'time' }>,
  commit: CommitContext,
  context: PlanContext,
  jira: JiraSession,
): JiraAction {
  const summary = `log ${command.duration} on ${issueKey} from ${commit.short}`;
  const authored = commit.commit.timestamp ? new Date(commit.commit.timestamp) : undefined;
  const started = jiraDateTime(authored && !Number.isNaN(authored.getTime()) ? authored : context.now());
  const comment = commitComment(command.comment ?? '', commit);
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    echo: { kind: 'worklog', duration: command.duration },
    run: () =>
      jira.run(summary, async (gateway) => {
        const worklog = await gateway.addWorklog(issueKey, { timeSpent: command.duration, started, comment });
        return { result: { worklogId: worklog.id } };
      }),
  };
}

/** A Smart Commit comment: the text, then where it came from. */
function commitComment(body: string, commit: CommitContext): AdfDocument {
  return adfDocument([[text(body)], commitFooter(commit)]);
}

/** The reference comment: which commit, its subject, who pushed it where. */
function commitReference(commit: CommitContext): AdfDocument {
  const subject = commit.commit.title ?? commit.commit.message.split(/\r?\n/)[0] ?? '';
  return adfDocument([
    [text('Commit '), commitLink(commit), text(subject ? `: ${subject}` : '')],
    [text(`Pushed by ${commit.pusher} to ${commit.projectPath} (${commit.branch}).`)],
  ]);
}

function commitFooter(commit: CommitContext): AdfText[] {
  const author = commit.commit.author?.name;
  return [text('From commit '), commitLink(commit), text(`${author ? ` by ${author}` : ''} in ${commit.projectPath} (${commit.branch}).`)];
}

function commitLink(commit: CommitContext): AdfText {
  const url = onOrigin(commit.commit.url, commit.projectUrl);
  return url ? link(commit.short, url) : text(commit.short);
}
