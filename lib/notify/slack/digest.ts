import type { DigestContent } from '../digest-content.js';
import { slackLink, slackText } from '../text.js';
import { SLACK_LIMITS, context, header, message, section, type Block, type SlackMessage } from './block-kit.js';

/**
 * The quiet-hours digest: a header and the held notices as linked lines, packed into sections
 * of at most 3000 characters (Slack's section limit) and 50 blocks in all; lines that do not
 * fit are counted in the last line.
 */
export function formatDigest(digest: DigestContent): SlackMessage {
  const count = digest.items.length + (digest.more ?? 0);
  const title = `🌙 ${count} ${count === 1 ? 'notice' : 'notices'} held during quiet hours`;
  const lines = digest.items.map((item) => `• ${item.url ? slackLink(item.url, item.text, 300) : slackText(item.text, 300)}`);
  // Room for the header and the closing context line.
  const maxSections = SLACK_LIMITS.blocks - 2;
  const sections: string[] = [];
  let unlisted = digest.more ?? 0;
  for (const [index, line] of lines.entries()) {
    const last = sections.length - 1;
    if (last >= 0 && sections[last]!.length + 1 + line.length <= SLACK_LIMITS.sectionText) sections[last] += `\n${line}`;
    else if (sections.length < maxSections) sections.push(line);
    else {
      unlisted += lines.length - index;
      break;
    }
  }
  const blocks: Block[] = [header(title), ...sections.map((text) => section(text))];
  const footer = `Quiet hours ended at ${slackText(digest.endLabel, 100)}.${unlisted > 0 ? ` ${unlisted} more not listed.` : ''}`;
  return message(title, [...blocks, context(footer)]);
}
