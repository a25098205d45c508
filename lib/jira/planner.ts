import type { z } from 'zod';
import { ENV } from '../env.js';
import { ConfigError, InvalidPayload } from '../errors.js';
import { MergeRequestEventSchema, PushEventSchema, type GitLabCommit, type MergeRequestEvent, type PushEvent } from '../gitlab/schemas.js';
import { projectKey } from '../gitlab/project-identity.js';
import type { JiraCredentials } from '../secrets/credentials.js';
import type { ActionPlanner, ActionRunResult, PlanContext, PlannedAction } from '../worker/action.js';
import type { PlannerDeps } from '../worker/planners.js';
import { adfDocument, adfToPlainText, link, text, type AdfDocument, type AdfText } from './adf.js';
import type { JiraConfig } from './config.js';
import type { JiraGateway } from './gateway.js';
import { findIssueKeys } from './issue-keys.js';
import { JiraJsGateway } from './jira-js-gateway.js';
import { parseCommitMessage, type CommitCommand, type RejectedCommand } from './parse-commit.js';
import { branchActs, cherryPickOrigin, globMatches, isMergeCommit, jiraDateTime, slug, targetSlug } from './policy.js';
import { describeRequest, performTransition, type TransitionRequest } from './transition.js';

/**
 * The Jira planner: turns pushes and merge request events into Jira effects, one effect key
 * per (issue, commit sha, command) and per (issue, project, MR iid, action).
 *
 * Commit effects are keyed by sha only, never by branch or delivery: the same commit pushed
 * again, pushed to another branch or fork, or replayed finds its keys done in the effect ledger
 * and does nothing twice. A cherry-pick that names its original (`git cherry-pick -x`, GitLab's
 * Cherry-pick button) is keyed by the original's sha, so it does not repeat the original either.
 */
export function createJiraPlanner(deps: PlannerDeps): ActionPlanner {
  return {
    name: 'jira',
    objectKinds: ['push', 'merge_request'],
    async plan(context: PlanContext): Promise<PlannedAction[]> {
      const config = context.config.jira;
      if (!config) return [];
      const jira = new JiraSession(deps, config);
      const kind = (context.payload as { object_kind?: unknown } | null)?.object_kind;
      if (kind === 'push') return planPush(parsePayload(PushEventSchema, context.payload, 'push'), config, jira, context);
      if (kind === 'merge_request') return planMergeRequest(parsePayload(MergeRequestEventSchema, context.payload, 'merge_request'), config, jira);
      return [];
    },
  };
}

/** Validates at the edge; a payload GitLab would never send fails the plan (recorded, not retried). */
function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, kind: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'} ${issue.message}`);
  throw new InvalidPayload(`${kind} payload does not match GitLab's ${kind} event: ${problems.join('; ')}`);
}

/**
 * Credentials are read when the first action runs (once per delivery), not at plan time, so a
 * push without Jira commands never touches the secret. Without credentials, the local bridge
 * prints what it would do; the deployed worker records a ConfigError (not retried).
 */
class JiraSession {
  private credentials: Promise<JiraCredentials | undefined> | undefined;
  private gateway: JiraGateway | undefined;

  constructor(
    private readonly deps: PlannerDeps,
    private readonly config: JiraConfig,
  ) {}

  async run(describe: string, perform: (gateway: JiraGateway) => Promise<ActionRunResult>): Promise<ActionRunResult> {
    this.credentials ??= this.deps.credentials.jira();
    let credentials: JiraCredentials | undefined;
    try {
      credentials = await this.credentials;
    } catch (error) {
      this.credentials = undefined;
      throw error;
    }
    if (!credentials) {
      if (this.deps.print) {
        this.deps.print(`[jira] would ${describe}`);
        return { dryRun: 'Jira credentials not configured: printed instead of sent' };
      }
      throw new ConfigError(
        `jira is configured (host ${this.config.host}) but no Jira credentials are set: store {"email","apiToken"} or {"bearerToken"} in the Jira secret (${ENV.jiraSecretId}), or set ${ENV.jiraEmail} and ${ENV.jiraApiToken} (or ${ENV.jiraBearerToken})`,
      );
    }
    const kind = 'bearerToken' in credentials ? 'bearer' : 'basic';
    if (kind !== this.config.auth) {
      throw new ConfigError(
        `jira.auth is "${this.config.auth}" but the Jira credentials hold ${kind === 'bearer' ? 'a bearer token' : 'an email and API token'}: set jira.auth to "${kind}" or store the other kind of credential`,
      );
    }
    this.gateway ??= new JiraJsGateway({ host: this.config.host, credentials, deployment: this.config.deployment });
    return perform(this.gateway);
  }
}

// ---------------------------------------------------------------------------------------------
// Push

interface CommitContext {
  commit: GitLabCommit;
  /** The sha effect keys use: the commit's own, or for a cherry-pick (`-x`) the original's. */
  sha: string;
  short: string;
  projectPath: string;
  branch: string;
  pusher: string;
}

function planPush(event: PushEvent, config: JiraConfig, jira: JiraSession, context: PlanContext): PlannedAction[] {
  if (event.object_kind !== 'push' || !event.ref.startsWith('refs/heads/')) return [];
  const branch = event.ref.slice('refs/heads/'.length);
  const projectPath = event.project.path_with_namespace;
  const pushKey = `jira:push:${projectKey(event.project)}:${event.after}`;
  if (config.gitlabProjects && !config.gitlabProjects.some((pattern) => globMatches(pattern, projectPath))) return [];
  if (event.user_username && config.ignoreUsers.includes(event.user_username)) {
    return [skipped(`${pushKey}:ignored-user`, projectPath, `push to ${branch}`, `pushed by ${event.user_username}, listed in jira.ignoreUsers`)];
  }

  const actions: PlannedAction[] = [];
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
): PlannedAction[] {
  const byKey = new Map<string, PlannedAction>();
  const counters = new Map<string, number>();
  const commented = new Set<string>();
  const moved = new Set<string>();
  const base = (issueKey: string) => `jira:${issueKey}:commit:${commit.sha}`;
  const numbered = (issueKey: string, what: string) => {
    const counter = `${issueKey}:${what}`;
    const n = (counters.get(counter) ?? 0) + 1;
    counters.set(counter, n);
    return `${base(issueKey)}:${what}${n > 1 ? `:${n}` : ''}`;
  };
  const add = (action: PlannedAction) => {
    if (!byKey.has(action.key)) byKey.set(action.key, action);
  };

  for (const command of commands) {
    for (const issueKey of command.keys) {
      switch (command.kind) {
        case 'close': {
          const request: TransitionRequest = { kind: 'intent', intent: 'close', target: config.transitions.close };
          add(
            transitionAction(
              `${base(issueKey)}:transition:${targetSlug(config.transitions.close)}`,
              issueKey,
              request,
              `"${command.keyword}" in ${commit.short}`,
              jira,
            ),
          );
          moved.add(issueKey);
          break;
        }
        case 'transition': {
          const request: TransitionRequest = { kind: 'command', name: command.name, command: command.command };
          add(transitionAction(`${base(issueKey)}:transition:${slug(command.name)}`, issueKey, request, `#${command.command} in ${commit.short}`, jira));
          moved.add(issueKey);
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
  const referenced = new Set([...moved, ...(config.commentOnMention ? mentions : [])]);
  for (const issueKey of referenced) {
    if (commented.has(issueKey)) continue;
    add(commentAction(`${base(issueKey)}:mention`, issueKey, commitReference(commit), `link ${issueKey} to commit ${commit.short}`, jira));
  }
  return [...byKey.values()];
}

function transitionAction(key: string, issueKey: string, request: TransitionRequest, why: string, jira: JiraSession): PlannedAction {
  const summary = `move ${issueKey} to ${describeRequest(request)} (${why})`;
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    run: () => jira.run(summary, (gateway) => performTransition(gateway, issueKey, request)),
  };
}

function commentAction(key: string, issueKey: string, body: AdfDocument, summary: string, jira: JiraSession): PlannedAction {
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
    run: () =>
      jira.run(`${summary}: ${JSON.stringify(adfToPlainText(body))}`, async (gateway) => {
        const comment = await gateway.addComment(issueKey, body);
        return { result: { commentId: comment.id } };
      }),
  };
}

function worklogAction(
  key: string,
  issueKey: string,
  command: Extract<CommitCommand, { kind: 'time' }>,
  commit: CommitContext,
  context: PlanContext,
  jira: JiraSession,
): PlannedAction {
  const summary = `log ${command.duration} on ${issueKey} from ${commit.short}`;
  const authored = commit.commit.timestamp ? new Date(commit.commit.timestamp) : undefined;
  const started = jiraDateTime(authored && !Number.isNaN(authored.getTime()) ? authored : context.now());
  const comment = commitComment(command.comment ?? '', commit);
  return {
    key,
    kind: 'jira',
    target: issueKey,
    summary,
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
  return commit.commit.url ? link(commit.short, commit.commit.url) : text(commit.short);
}

// ---------------------------------------------------------------------------------------------
// Merge requests

function planMergeRequest(event: MergeRequestEvent, config: JiraConfig, jira: JiraSession): PlannedAction[] {
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
  const actions: PlannedAction[] = [];
  for (const issueKey of keys) {
    const request: TransitionRequest = { kind: 'intent', intent, target };
    actions.push(transitionAction(`${mrKey(issueKey)}:${action}`, issueKey, request, `${what} ${intent === 'close' ? 'merged' : 'opened'}`, jira));
    const body = adfDocument([
      [text('Merge request '), link(`${projectPath}!${mr.iid}`, mr.url), text(`: ${mr.title}`)],
      [
        text(
          intent === 'close'
            ? `Merged into ${mr.target_branch} by ${event.user.username ?? event.user.name ?? 'someone'}.`
            : `Opened for review by ${event.user.username ?? event.user.name ?? 'someone'} (${mr.source_branch} → ${mr.target_branch}).`,
        ),
      ],
    ]);
    actions.push(commentAction(`${mrKey(issueKey)}:${action}:comment`, issueKey, body, `link ${issueKey} to ${what} (${action})`, jira));
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

function skipped(key: string, target: string, summary: string, reason: string): PlannedAction {
  return { key, kind: 'jira', target, summary, skipReason: reason, run: async () => undefined };
}
