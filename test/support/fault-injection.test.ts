import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from './slack-server.js';
import { startTeamsServer, type TeamsServer } from './teams-server.js';

/** The stand-ins' dropped-connection fault (used by bench/reliability.ts): no answer, no effect, then back to normal. */
let slack: SlackServer;
let teams: TeamsServer;

beforeAll(async () => {
  slack = await startSlackServer();
  teams = await startTeamsServer();
});
afterAll(async () => {
  await slack.close();
  await teams.close();
});

describe('dropped connections', () => {
  it('Slack: the scripted call gets no answer and posts nothing; the next call posts', async () => {
    slack.failNext('chat.postMessage', { drop: true });
    const post = () =>
      fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: '#ci', text: 'hello' }),
      });
    await expect(post()).rejects.toThrow();
    expect(slack.messages).toHaveLength(0);
    expect(await (await post()).json()).toMatchObject({ ok: true });
    expect(slack.messages).toHaveLength(1);
  });

  it('Teams: the scripted post gets no answer and is not stored; the next one is', async () => {
    teams.failNext({ drop: true });
    expect(teams.pendingFailures()).toBe(1);
    const post = () => fetch(teams.webhookUrl('default'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"message"}' });
    await expect(post()).rejects.toThrow();
    expect(teams.pendingFailures()).toBe(0);
    expect(teams.posts).toHaveLength(0);
    expect((await post()).status).toBe(202);
    expect(teams.postsTo('default')).toHaveLength(1);
  });
});
