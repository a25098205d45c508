/**
 * Slack interactivity: what the receiver records of a button click and what the retry button
 * carries. A tiny module on purpose (no schema library): the receiver reads it.
 */

/** The delivery `objectKind` of a recorded Slack interaction (not a GitLab `object_kind`). */
export const SLACK_ACTION_KIND = 'slack_action';
/** The delivery `event` of a recorded Slack interaction. */
export const SLACK_ACTION_EVENT = 'Slack Interaction';
/** `action_id` of the failure notice's "Retry failed jobs" button. */
export const RETRY_ACTION_ID = 'retry_pipeline';

/** What the retry button's `value` says (JSON, at most Slack's 2,000 characters). */
export interface RetryButtonValue {
  /** GitLab project id. */
  projectId: number;
  projectPath: string;
  /** The notice's project key (lib/gitlab/project-identity.ts), for the retry's ledger keys. */
  projectKey: string;
  pipelineId: number;
  /** The failed run's round (finish time digits, '' when unknown): one retry per attempt. */
  round: string;
  pipelineUrl: string;
}

export function encodeRetryValue(value: RetryButtonValue): string {
  return JSON.stringify({ p: value.projectId, pp: value.projectPath, k: value.projectKey, id: value.pipelineId, r: value.round, u: value.pipelineUrl });
}

export function decodeRetryValue(text: unknown): RetryButtonValue | undefined {
  if (typeof text !== 'string') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { p, pp, k, id, r, u } = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(p) || !Number.isSafeInteger(id) || (p as number) <= 0 || (id as number) <= 0) return undefined;
  if (typeof pp !== 'string' || typeof k !== 'string' || typeof r !== 'string' || typeof u !== 'string') return undefined;
  return { projectId: p as number, projectPath: pp, projectKey: k, pipelineId: id as number, round: r, pipelineUrl: u };
}

/**
 * What the receiver keeps of a `block_actions` payload: who clicked which button on which
 * message, the `response_url` to answer through, and the message's blocks (to show "Retried by").
 * Slack's legacy verification `token` and everything else are dropped.
 */
export interface StoredInteraction {
  type: 'block_actions';
  user: { id: string; username?: string; name?: string };
  team?: { id: string };
  channel?: { id: string };
  container: { message_ts?: string; channel_id?: string };
  action: { action_id: string; value?: string; action_ts?: string };
  response_url?: string;
  message?: { text?: string; blocks?: unknown[] };
}

/**
 * The interaction a payload describes, or why it cannot be one (a 400). `link` marks a click
 * on a link button (View pipeline...): Slack sends those too; nothing is to be done.
 */
export function readInteraction(payload: unknown): { interaction: StoredInteraction } | { link: true } | { invalid: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { invalid: 'payload is not a JSON object' };
  const p = payload as Record<string, unknown>;
  if (p.type !== 'block_actions') return { invalid: `interaction type ${JSON.stringify(String(p.type)).slice(0, 40)} is not handled` };
  const user = p.user as Record<string, unknown> | undefined;
  if (!user || typeof user.id !== 'string') return { invalid: 'payload has no user' };
  const actions = Array.isArray(p.actions) ? (p.actions as Record<string, unknown>[]) : [];
  const action = actions.find((a) => typeof a === 'object' && a !== null && a.action_id === RETRY_ACTION_ID);
  if (!action) return { link: true };
  const container = (p.container ?? {}) as Record<string, unknown>;
  const channel = p.channel as Record<string, unknown> | undefined;
  const team = p.team as Record<string, unknown> | undefined;
  const message = p.message as Record<string, unknown> | undefined;
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const pick = <T extends Record<string, unknown>>(entries: T) =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
  return {
    interaction: {
      type: 'block_actions',
      user: pick({ id: user.id, username: str(user.username), name: str(user.name) }),
      ...(team && typeof team.id === 'string' ? { team: { id: team.id } } : {}),
      ...(channel && typeof channel.id === 'string' ? { channel: { id: channel.id } } : {}),
      container: pick({ message_ts: str(container.message_ts), channel_id: str(container.channel_id) }),
      action: pick({ action_id: RETRY_ACTION_ID, value: str(action.value), action_ts: str(action.action_ts) }),
      ...(str(p.response_url) ? { response_url: str(p.response_url) } : {}),
      ...(message ? { message: pick({ text: str(message.text), blocks: Array.isArray(message.blocks) ? (message.blocks as unknown[]) : undefined }) } : {}),
    },
  };
}

/**
 * State key of a pipeline attempt's retry (one per notice's pipeline and round): reserved while a
 * worker calls GitLab, then holding the RetryRecord. The failure notice's renderer reads it, so
 * every re-render of the notice keeps "Retried by".
 */
export function retryStateKey(projectKey: string, pipelineId: number, round: string): string {
  return `slack-retry:${projectKey}:${pipelineId}:${round}`;
}

/** Who retried a pipeline attempt from Slack, when, and what GitLab answered. */
export interface RetryRecord {
  /** Slack member id of the clicker. */
  by: string;
  /** Their Slack username, for the delivery log. */
  username?: string;
  /** Epoch seconds. */
  at: number;
  /** GitLab's status of the retried pipeline (`pending`, `running`...). */
  gitlabStatus: string;
  deliveryId: string;
}
