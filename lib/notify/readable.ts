import type { Block, SlackMessage } from './slack/block-kit.js';
import type { CardElement, TeamsMessage } from './teams/adaptive-card.js';

/**
 * Plain-text renderings of notices, for local mode's console: what a person would read in the
 * channel, with links written as `label (url)`.
 */

function unescapeSlack(text: string): string {
  return text
    .replace(/<([^|>]+)\|([^>]*)>/g, (_match, url: string, label: string) => `${label} (${url.replace(/&amp;/g, '&')})`)
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function blockText(block: Block): string[] {
  switch (block.type) {
    case 'header':
      return [block.text.text];
    case 'section':
      return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((field) => field.text.replace('\n', ': '))];
    case 'context':
      return block.elements.map((element) => element.text);
    case 'actions':
      return [block.elements.map((button) => `[${button.text.text}](${button.url})`).join('  ')];
    case 'divider':
      return ['---'];
  }
}

export function slackMessageText(message: SlackMessage): string {
  return unescapeSlack(message.blocks.flatMap(blockText).join('\n'));
}

function unescapeTeams(text: string): string {
  return text.replace(/\[([^\]]*)\]\(([^)]+)\)/g, '$1 ($2)').replace(/\\(.)/g, '$1');
}

function elementText(element: CardElement): string[] {
  switch (element.type) {
    case 'TextBlock':
      return [element.text];
    case 'FactSet':
      return element.facts.map((fact) => `${fact.title}: ${fact.value}`);
    case 'Container':
      return element.items.flatMap(elementText);
  }
}

export function teamsMessageText(message: TeamsMessage): string {
  const card = message.attachments[0]?.content;
  if (!card) return '';
  const lines = card.body.flatMap(elementText);
  for (const action of card.actions ?? []) {
    if (action.type === 'Action.OpenUrl') lines.push(`[${action.title}](${action.url})`);
    else lines.push(`${action.title}:`, ...action.card.body.flatMap(elementText));
  }
  return unescapeTeams(lines.join('\n'));
}
