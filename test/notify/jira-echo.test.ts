import { describe, expect, it } from 'vitest';
import { formatJiraEcho } from '../../lib/notify/slack/jira-echo.js';

describe('formatJiraEcho', () => {
  it('lists what was done, then what was not, one bullet a line', () => {
    const message = formatJiraEcho({ done: ['ABC-12 → Done', 'ABC-14: 1h 30m logged'], refused: ["ABC-13: no transition 'in review' from 'To Do'"] });
    expect(message.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*Jira*\n• ABC-12 → Done\n• ABC-14: 1h 30m logged', verbatim: true } },
      { type: 'section', text: { type: 'mrkdwn', text: "*Not done*\n• ABC-13: no transition 'in review' from 'To Do'", verbatim: true } },
    ]);
    expect(message.text).toBe("Jira: ABC-12 → Done; ABC-14: 1h 30m logged; not done: ABC-13: no transition 'in review' from 'To Do'");
  });

  it('leaves out the refused part when nothing was refused', () => {
    expect(formatJiraEcho({ done: ['ABC-1 → Done'], refused: [] }).blocks).toHaveLength(1);
  });

  it('escapes what came from commits and Jira, so it cannot ping a channel or pose as a link', () => {
    const message = formatJiraEcho({ done: ['ABC-1: comment added'], refused: ['ABC-2: #x <!channel> <https://evil|here> & more'] });
    const refused = (message.blocks[1] as { text: { text: string } }).text.text;
    expect(refused).toBe('*Not done*\n• ABC-2: #x &lt;!channel&gt; &lt;https://evil|here&gt; &amp; more');
    expect(message.text).not.toContain('<!channel>');
  });

  it('cuts one long reason so the others still show', () => {
    const message = formatJiraEcho({ done: ['ABC-1 → Done'], refused: [`ABC-2: ${'x'.repeat(5000)}`, 'ABC-3: already in Done'] });
    const refused = (message.blocks[1] as { text: { text: string } }).text.text;
    expect(refused.length).toBeLessThan(3000);
    expect(refused).toContain('• ABC-3: already in Done');
  });
});
