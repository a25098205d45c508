import { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { GitLabUnavailable } from '../gitlab/api-client.js';
import { DownstreamRejected } from '../errors.js';
import { retriedText } from '../notify/slack/pipeline.js';
import type { StateStore } from '../state/store.js';
import type { ActionRunResult, PlanContext, PlannedAction, Planner, PlannerDeps } from '../worker/action.js';
import { on } from '../worker/event-table.js';
import { decodeRetryValue, RETRY_ACTION_ID, retryStateKey, SLACK_ACTION_KIND, type RetryRecord, type StoredInteraction } from './interaction.js';
import { respond, type SlackResponse } from './response-url.js';

/** The interaction as the receiver stored it (lib/slack/interaction.ts, readInteraction). */
const StoredInteractionSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  container: z.looseObject({ message_ts: z.string().optional(), channel_id: z.string().optional() }),
  action: z.looseObject({ action_id: z.string(), value: z.string().optional(), action_ts: z.string().optional() }),
  response_url: z.string().optional(),
  message: z.looseObject({ text: z.string().optional(), blocks: z.array(z.unknown()).optional() }).optional(),
}) as unknown as z.ZodType<StoredInteraction>;

/** A worker holding a retry's reservation while GitLab answers; one that died frees it after this. */
const RETRY_LEASE_SECONDS = 120;
/** Who retried is kept as long as a notice is worth re-rendering. */
const RETRY_RECORD_TTL_DAYS = 90;
/** Members of a Slack user group are read at most every 10 minutes (usergroups.users.list is Tier 2). */
const GROUP_CACHE_SECONDS = 600;
const SLACK_LOOKUP_TIMEOUT_MS = 3_000;

/** Reads a Slack user group's member ids (`usergroups.users.list`, bot scope `usergroups:read`). */
export type GroupMembers = (groupId: string) => Promise<string[]>;

export interface RetryPlannerOptions {
  /** Overrides usergroups.users.list (default: @slack/web-api with the bot token and config.slack.apiUrl). */
  groupMembers?: GroupMembers;
  fetch?: typeof fetch;
}

/**
 * The "Retry failed jobs" button's clicks (`slack_action` deliveries): checks the clicker may
 * retry, retries the pipeline in GitLab once per notice and pipeline attempt, and answers the
 * clicker through `response_url`. Each click is one action keyed by its delivery, so the
 * delivery log shows every click with who, when and what came of it; the retry itself is
 * single-writer through a state reservation and its record (`slack-retry:…`).
 */
export function createSlackActionPlanner(deps: PlannerDeps, options: RetryPlannerOptions = {}): Planner {
  const retry = deps.config.interactions?.retry;
  const slackApiUrl = deps.config.slack?.apiUrl;
  const groupMembers = options.groupMembers ?? slackGroupMembers(deps, slackApiUrl);
  const answer = (url: string | undefined, body: SlackResponse) =>
    respond(url, body, { ...(slackApiUrl ? { slackApiUrl } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
  return {
    name: 'slack-actions',
    events: {
      [SLACK_ACTION_KIND]: on(StoredInteractionSchema, (interaction, context): PlannedAction[] => {
        const value = decodeRetryValue(interaction.action.value);
        const who = interaction.user.id;
        const base = {
          key: `slack-action:${context.delivery.id}`,
          kind: 'gitlab',
          target: value ? `${value.projectPath} pipeline #${value.pipelineId}` : '(unknown pipeline)',
          summary: `retry clicked by ${interaction.user.username ? `@${interaction.user.username}` : who}`,
        };
        if (interaction.action.action_id !== RETRY_ACTION_ID || !value)
          return [{ ...base, skipReason: 'not a retry button the bridge wrote', run: async () => undefined }];
        if (!retry?.enabled) {
          return [
            {
              ...base,
              run: async () => {
                const reply = await answer(
                  interaction.response_url,
                  ephemeral('Retrying from Slack is turned off for this bridge (interactions.retry.enabled).'),
                );
                return { skipped: 'interactions.retry.enabled is off', result: { user: who, reply } };
              },
            },
          ];
        }
        return [{ ...base, run: () => runRetry(interaction, value, context) }];
      }),
    },
  };

  async function runRetry(
    interaction: StoredInteraction,
    value: NonNullable<ReturnType<typeof decodeRetryValue>>,
    context: PlanContext,
  ): Promise<ActionRunResult> {
    const who = interaction.user.id;
    const state = context.state;
    const key = retryStateKey(value.projectKey, value.pipelineId, value.round);
    const audit = { user: who, ...(interaction.user.username ? { username: interaction.user.username } : {}) };

    if (!(await mayClick(who, retry?.allowed ?? 'anyone', state))) {
      const reply = await answer(
        interaction.response_url,
        ephemeral(`You are not allowed to retry pipelines from Slack here; ask someone listed in the bridge's interactions.retry.allowed.`),
      );
      return { skipped: `refused: ${who} is not in interactions.retry.allowed`, result: { ...audit, refused: 'not allowed', reply } };
    }
    const already = async (record: RetryRecord) => {
      const reply = await answer(
        interaction.response_url,
        ephemeral(
          `Already retried by ${retriedText(record.by, record.at)
            .replace(/^:repeat: Retried by /, '')
            .replace(' · ', ' at ')}.`,
        ),
      );
      return {
        skipped: `already retried by ${record.username ? `@${record.username}` : record.by} at ${new Date(record.at * 1000).toISOString()}`,
        result: { ...audit, reply },
      };
    };
    const done = await state.get<RetryRecord>(`${key}:done`);
    if (done) return already(done);
    if (!(await state.reserve(key, context.delivery.id, RETRY_LEASE_SECONDS))) {
      const now = await state.get<RetryRecord>(`${key}:done`);
      if (now) return already(now);
      const reply = await answer(
        interaction.response_url,
        ephemeral(`Someone else's retry of pipeline #${value.pipelineId} is starting; it will show on the message.`),
      );
      return { skipped: 'another click is retrying this pipeline', result: { ...audit, reply } };
    }
    // Reserved: check the record again (a retry finished between the read and the reservation).
    const racing = await state.get<RetryRecord>(`${key}:done`);
    if (racing) return already(racing);

    let gitlabStatus: string;
    try {
      gitlabStatus = await retryInGitLab(value);
    } catch (error) {
      await state.release(key, context.delivery.id);
      const words = plainWords(error, value.pipelineId);
      const reply = await answer(interaction.response_url, ephemeral(words));
      // Not retried by the queue: retrying is not idempotent, and the clicker can click again.
      throw new DownstreamRejected('GitLab', `${words} (reply: ${reply})`, error instanceof GitLabUnavailable ? error.status : undefined);
    }
    const at = Math.floor(context.now().getTime() / 1000);
    const record: RetryRecord = {
      by: who,
      ...(interaction.user.username ? { username: interaction.user.username } : {}),
      at,
      gitlabStatus,
      deliveryId: context.delivery.id,
    };
    // GitLab retried: a throw now would release the click's effect and a queue retry would retry
    // the pipeline again. A record that cannot be written is logged; the reservation's lease still
    // keeps other clicks off for RETRY_LEASE_SECONDS.
    const recorded = await putWithRetries(state, `${key}:done`, record);
    if (!recorded)
      deps.log?.error('pipeline retried but its retry record could not be stored', { deliveryId: context.delivery.id, pipelineId: value.pipelineId });
    const blocks = markRetried(interaction.message?.blocks ?? [], retriedText(who, at));
    const reply = blocks
      ? await answer(interaction.response_url, { replace_original: true, text: interaction.message?.text ?? `Pipeline #${value.pipelineId} retried`, blocks })
      : 'message not updated: the click carried no message';
    return { result: { ...audit, pipeline: String(value.pipelineId), gitlab: gitlabStatus, at: new Date(at * 1000).toISOString(), reply } };
  }

  async function retryInGitLab(value: NonNullable<ReturnType<typeof decodeRetryValue>>): Promise<string> {
    if (!deps.gitlab) throw new GitLabUnavailable('no GitLab API access is configured');
    const access = await deps.gitlab.forProject(value.pipelineUrl);
    if (access.unavailable !== undefined) throw new GitLabUnavailable(access.unavailable);
    if (!access.api.retryPipeline) throw new GitLabUnavailable('the GitLab client cannot retry pipelines');
    return (await access.api.retryPipeline(value.projectId, value.pipelineId)).status;
  }

  async function mayClick(user: string, allowed: 'anyone' | readonly string[], state: StateStore): Promise<boolean> {
    if (allowed === 'anyone') return true;
    if (allowed.includes(user)) return true;
    for (const group of allowed.filter((id) => id.startsWith('S'))) {
      const cacheKey = `slack-usergroup:${group}`;
      let members = await state.get<string[]>(cacheKey);
      if (!members) {
        try {
          members = await groupMembers(group);
        } catch {
          // Slack not answering refuses the click (it can be clicked again), never lets it through.
          continue;
        }
        await state.put(cacheKey, members, { ttlSeconds: GROUP_CACHE_SECONDS }).catch(() => undefined);
      }
      if (members.includes(user)) return true;
    }
    return false;
  }
}

async function putWithRetries(state: StateStore, key: string, record: RetryRecord): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await state.put<RetryRecord>(key, record, { ttlDays: RETRY_RECORD_TTL_DAYS });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  return false;
}

function ephemeral(text: string): SlackResponse {
  return { response_type: 'ephemeral', replace_original: false, text };
}

/** What GitLab's refusal means, in the clicker's words. */
function plainWords(error: unknown, pipelineId: number): string {
  const status = error instanceof GitLabUnavailable ? error.status : undefined;
  if (status === 403)
    return `GitLab refused to retry pipeline #${pipelineId}: the bridge's GitLab token may not run pipelines in this project (it needs the api scope and the Developer role).`;
  if (status === 404) return `GitLab does not know pipeline #${pipelineId} any more (deleted, or the bridge's token cannot see the project).`;
  const reason = error instanceof GitLabUnavailable ? error.reason : 'unexpected error';
  return `Pipeline #${pipelineId} was not retried: ${reason}. Try again in a minute, or retry it in GitLab.`;
}

/**
 * The clicked message with the retry button replaced by "Retried by @x · 12:01" (a context
 * block after the buttons), or undefined when the message has no retry button.
 */
export function markRetried(blocks: readonly unknown[], text: string): unknown[] | undefined {
  let found = false;
  const out: unknown[] = [];
  for (const block of blocks) {
    const b = block as { type?: unknown; elements?: unknown };
    if (b?.type === 'actions' && Array.isArray(b.elements)) {
      const kept = (b.elements as { action_id?: unknown }[]).filter((element) => element?.action_id !== RETRY_ACTION_ID);
      if (kept.length !== b.elements.length) {
        found = true;
        out.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
        if (kept.length > 0) out.push({ ...b, elements: kept });
        continue;
      }
    }
    out.push(block);
  }
  return found ? out : undefined;
}

/** usergroups.users.list with the bot token: no retries, one short timeout. */
function slackGroupMembers(deps: PlannerDeps, apiUrl: string | undefined): GroupMembers {
  return async (groupId) => {
    const token = await deps.credentials.slackBotToken();
    if (!token) throw new Error('no Slack bot token');
    const client = new WebClient(token, {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: SLACK_LOOKUP_TIMEOUT_MS,
    });
    const result = await client.usergroups.users.list({ usergroup: groupId });
    return result.users ?? [];
  };
}
