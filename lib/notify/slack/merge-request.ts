import type { MergeRequestAction } from '../../routing/schema.js';
import type { MergeRequestFacts } from '../merge-request-facts.js';
import { slackLink, slackText } from '../text.js';
import { buttons, context, fields, message, section, type SlackMessage } from './block-kit.js';

const MAX = { project: 200, branch: 200, title: 400, name: 100, reviewers: 1500 } as const;

/** The state a merge request's parent message shows in its status line. */
export type MergeRequestStatus = 'open' | 'draft' | 'approved' | 'merged' | 'closed';

/** Status line after an action; `unapproved` and `reopened` bring the MR back to open. */
export function statusAfter(action: MergeRequestAction, draft: boolean): MergeRequestStatus {
  switch (action) {
    case 'approved':
      return 'approved';
    case 'merged':
      return 'merged';
    case 'closed':
      return 'closed';
    default:
      return draft ? 'draft' : 'open';
  }
}

const STATUS_LINE: Record<MergeRequestStatus, { emoji: string; label: string }> = {
  open: { emoji: ':large_green_circle:', label: 'Open' },
  draft: { emoji: ':white_circle:', label: 'Draft' },
  approved: { emoji: ':white_check_mark:', label: 'Approved' },
  merged: { emoji: ':large_purple_circle:', label: 'Merged' },
  closed: { emoji: ':red_circle:', label: 'Closed' },
};

function mrLabel(facts: MergeRequestFacts): string {
  return `!${facts.iid} ${facts.title}`;
}

function fallback(verb: string, facts: MergeRequestFacts): string {
  return `Merge request !${facts.iid} ${verb} in ${slackText(facts.projectPath, MAX.project)}: ${slackText(facts.title, MAX.title)}`;
}

/**
 * The merge request's one top-level message: title, author, source -> target branch,
 * reviewers, link, and a status line that later events update in place (`chat.update`).
 * `by` names who moved it into `status` (merged by, closed by...); `action` words the
 * notification text when it is not the status (e.g. `reopened`).
 */
export function formatMergeRequestParent(
  facts: MergeRequestFacts,
  status: MergeRequestStatus,
  by?: string,
  action?: MergeRequestAction,
  mentions: { reviewers?: ReadonlyMap<string, string> } = {},
): SlackMessage {
  const line = STATUS_LINE[status];
  const actor = by && status !== 'open' && status !== 'draft' ? ` by ${slackText(by, MAX.name)}` : '';
  return message(fallback(action ?? (status === 'open' || status === 'draft' ? 'opened' : status), facts), [
    section(`:twisted_rightwards_arrows: *${slackLink(facts.url, mrLabel(facts), MAX.title)}*`),
    fields([
      ['Project', slackLink(facts.projectUrl, facts.projectPath, MAX.project)],
      ['Author', facts.author ? slackText(facts.author, MAX.name) : undefined],
      ['Branches', `${slackText(facts.sourceBranch, MAX.branch)} → ${slackText(facts.targetBranch, MAX.branch)}`],
      ['Reviewers', reviewersField(facts.reviewers, mentions.reviewers)],
    ]),
    context(`${line.emoji} *${line.label}*${actor}`),
    buttons([{ text: 'View merge request', url: facts.url, actionId: 'view_merge_request' }]),
  ]);
}

/** A Slack member id (`U…`, `W…` on Enterprise Grid); anything else is not written into `<@…>`. */
const MEMBER_ID = /^[UW][A-Z0-9]{2,30}$/;

/** Reviewer names, each as `<@U…>` where `mentions` (name -> member id) has them. */
function reviewersField(reviewers: readonly string[], mentions: ReadonlyMap<string, string> | undefined): string | undefined {
  if (reviewers.length === 0) return undefined;
  if (!mentions || mentions.size === 0) return slackText(reviewers.join(', '), MAX.reviewers);
  const shown = reviewers.map((name) => {
    const id = mentions.get(name);
    return id !== undefined && MEMBER_ID.test(id) ? `<@${id}>` : slackText(name, MAX.name);
  });
  // Whole names only (a cut `<@U…>` would break): drop from the end until the field fits.
  const more = (count: number) => (count < reviewers.length ? `, …and ${reviewers.length - count} more` : '');
  let count = shown.length;
  while (count > 1 && shown.slice(0, count).join(', ').length + more(count).length > MAX.reviewers) count -= 1;
  return `${shown.slice(0, count).join(', ')}${more(count)}`;
}

const REPLY: Record<MergeRequestAction, { emoji: string; verb: string }> = {
  opened: { emoji: ':twisted_rightwards_arrows:', verb: 'Opened' },
  reopened: { emoji: ':arrows_counterclockwise:', verb: 'Reopened' },
  closed: { emoji: ':red_circle:', verb: 'Closed' },
  merged: { emoji: ':large_purple_circle:', verb: 'Merged' },
  approved: { emoji: ':white_check_mark:', verb: 'Approved' },
  unapproved: { emoji: ':leftwards_arrow_with_hook:', verb: 'Approval revoked' },
};

/** A thread reply under the parent: "Approved by Sidney Jones". */
export function formatMergeRequestReply(facts: MergeRequestFacts, action: MergeRequestAction): SlackMessage {
  const reply = REPLY[action];
  const by = facts.actor ? ` by *${slackText(facts.actor, MAX.name)}*` : '';
  const into = action === 'merged' ? ` into ${slackText(facts.targetBranch, MAX.branch)}` : '';
  return message(fallback(action, facts), [section(`${reply.emoji} ${reply.verb}${by}${into}`)]);
}
