import type { DigestContent } from '../digest-content.js';
import { teamsLink, teamsText } from '../text.js';
import { card, fitMessage, textBlock, type TeamsMessage } from './adaptive-card.js';

/**
 * The quiet-hours digest as one card: a title and the held notices as linked lines. Shrinks to
 * fewer listed lines (the rest counted) when the card would pass Teams' 28 KB.
 */
export function digestCard(digest: DigestContent): TeamsMessage {
  const count = digest.items.length + (digest.more ?? 0);
  const title = `🌙 ${count} ${count === 1 ? 'notice' : 'notices'} held during quiet hours`;
  return fitMessage((level) => {
    const listed = digest.items.slice(0, [200, 100, 50, 20][level] ?? 20);
    const unlisted = count - listed.length;
    return card([
      textBlock(title, { weight: 'Bolder', size: 'Medium' }),
      ...listed.map((item) => textBlock(`- ${item.url ? teamsLink(item.url, item.text, 300) : teamsText(item.text, 300)}`, { spacing: 'None' })),
      textBlock(`Quiet hours ended at ${teamsText(digest.endLabel, 100)}.${unlisted > 0 ? ` ${unlisted} more not listed.` : ''}`, {
        isSubtle: true,
        size: 'Small',
      }),
    ]);
  });
}
