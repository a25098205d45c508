import type { MergeRequestAction } from '../../routing/schema.js';
import type { MergeRequestFacts } from '../merge-request-facts.js';
import { teamsLink, teamsText } from '../text.js';
import { card, factSet, fitMessage, openUrl, textBlock, type TextBlock, type TeamsMessage } from './adaptive-card.js';

const MAX = { project: 200, branch: 200, title: 400, name: 100, reviewers: 1500 } as const;

const HEADLINE: Record<MergeRequestAction, { emoji: string; verb: string; color: TextBlock['color'] }> = {
  opened: { emoji: '🔀', verb: 'opened', color: 'Accent' },
  reopened: { emoji: '🔄', verb: 'reopened', color: 'Accent' },
  closed: { emoji: '🔴', verb: 'closed', color: 'Attention' },
  merged: { emoji: '🟣', verb: 'merged', color: 'Good' },
  approved: { emoji: '✅', verb: 'approved', color: 'Good' },
  unapproved: { emoji: '↩️', verb: 'approval revoked', color: 'Warning' },
};

/**
 * One card per merge request event. A Workflows webhook returns no message id, so Teams
 * cards cannot be threaded or updated: each event is a card that stands on its own.
 */
export function mergeRequestCard(facts: MergeRequestFacts, action: MergeRequestAction): TeamsMessage {
  const headline = HEADLINE[action];
  const by = action !== 'opened' && facts.actor ? ` by ${teamsText(facts.actor, MAX.name)}` : '';
  return fitMessage((level) =>
    card(
      [
        textBlock(`${headline.emoji} Merge request ${headline.verb}${by}`, { weight: 'Bolder', color: headline.color }),
        textBlock(teamsLink(facts.url, `!${facts.iid} ${facts.title}`, level > 0 ? 150 : MAX.title), { size: 'Large', weight: 'Bolder' }),
        factSet([
          ['Project', teamsLink(facts.projectUrl, facts.projectPath, MAX.project)],
          ['Author', facts.author ? teamsText(facts.author, MAX.name) : undefined],
          ['Branches', `${teamsText(facts.sourceBranch, MAX.branch)} → ${teamsText(facts.targetBranch, MAX.branch)}`],
          ['Reviewers', facts.reviewers.length > 0 ? teamsText(facts.reviewers.join(', '), level > 0 ? 300 : MAX.reviewers) : undefined],
          ['Draft', facts.draft ? 'yes' : undefined],
        ]),
      ],
      [openUrl('View merge request', facts.url)],
    ),
  );
}
