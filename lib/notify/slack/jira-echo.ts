import { slackText } from '../text.js';
import { message, section, type SlackMessage } from './block-kit.js';

/** What the Jira planner did for one push or merge request action, as lines of plain text. */
export interface JiraEcho {
  /** `ABC-12 → Done`, `ABC-12: comment added`, `ABC-12: 1h 30m logged`. */
  done: readonly string[];
  /** `ABC-13: no transition 'In Review' from 'To Do'`. */
  refused: readonly string[];
}

// Each line comes from commit messages and Jira's answers: escaped, and cut well inside the
// 3000-character section limit (Block Kit reference) so one long reason cannot hide the rest.
const LINE_MAX = 300;

/** The thread reply listing what Jira did and what it refused, and why. */
export function formatJiraEcho(echo: JiraEcho): SlackMessage {
  const bullets = (lines: readonly string[]) => lines.map((line) => `• ${slackText(line, LINE_MAX)}`).join('\n');
  const parts = [`*Jira*\n${bullets(echo.done)}`, ...(echo.refused.length > 0 ? [`*Not done*\n${bullets(echo.refused)}`] : [])];
  const fallback = [`Jira: ${echo.done.join('; ')}`, ...(echo.refused.length > 0 ? [`not done: ${echo.refused.join('; ')}`] : [])].join('; ');
  return message(slackText(fallback, 3000), parts.map(section));
}
