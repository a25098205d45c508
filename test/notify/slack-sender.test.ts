import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError, DownstreamRateLimited, DownstreamRejected, DownstreamUnavailable } from '../../lib/errors.js';
import { BOUNDED_SLACK_RETRIES, SlackSender } from '../../lib/notify/slack/slack-sender.js';
import { parseRetryAfter } from '../../lib/notify/teams/teams-sender.js';
import { startSlackServer, type ScriptedFailure, type SlackServer } from '../support/slack-server.js';

/** The Slack sender with its production retry policy, against the local Slack Web API. */
let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

const message = { text: 'hello', blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'hello' } }] };

describe('SlackSender', () => {
  it('posts form-encoded with the bot token and returns ts and the resolved channel id', async () => {
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    const posted = await sender.post('#general', message);
    expect(posted).toEqual({ ts: slack.messages[0]?.ts, channel: 'CGENERAL' });
    expect(slack.calls[0]).toMatchObject({
      method: 'chat.postMessage',
      authorization: `Bearer ${slack.token}`,
      params: { channel: '#general', text: 'hello', blocks: message.blocks },
    });
  });

  it('the default policy is bounded: a persistent 5xx gives up after 3 requests, within seconds', async () => {
    expect(BOUNDED_SLACK_RETRIES.retries).toBe(2);
    slack.failNext('chat.postMessage', { status: 500 }, 10);
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    const started = Date.now();
    await expect(sender.post('C1', message)).rejects.toBeInstanceOf(DownstreamUnavailable);
    expect(slack.calls).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a blip is absorbed by a retry', async () => {
    slack.failNext('chat.postMessage', { status: 502 });
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    await expect(sender.post('C1', message)).resolves.toMatchObject({ channel: 'C1' });
    expect(slack.calls).toHaveLength(2);
  });

  it('429 is not retried by the client: it surfaces with Retry-After in ms', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 12 });
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    const error = await sender.post('C1', message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamRateLimited);
    expect((error as DownstreamRateLimited).retryAfterMs).toBe(12_000);
    expect(slack.calls).toHaveLength(1);
  });

  it('an ok:false refusal carries Slack’s code', async () => {
    slack.failNext('chat.update', { error: 'message_not_found' });
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    const error = await sender.update('C1', '1.2', message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamRejected);
    expect((error as DownstreamRejected).details).toEqual(['message_not_found']);
    expect((error as Error).message).toBe('Slack refused chat.update of 1.2 in C1: message_not_found');
  });

  it('transient platform errors are retried through the queue, not refused', async () => {
    slack.failNext('chat.postMessage', { error: 'internal_error' });
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl });
    await expect(sender.post('C1', message)).rejects.toBeInstanceOf(DownstreamUnavailable);
  });

  it('an unreachable Slack is unavailable (network error)', async () => {
    const sender = new SlackSender(slack.token, { apiUrl: 'http://127.0.0.1:9/api/', retryConfig: { retries: 0 } });
    const error = await sender.post('C1', message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamUnavailable);
    expect((error as Error).message).toMatch(/^Slack unreachable for chat.postMessage to C1: /);
  });

  it.each<[string, ScriptedFailure, string]>([
    ['a refusal', { error: 'channel_not_found' }, 'slack_webapi_platform_error'],
    ['a 5xx', { status: 503 }, 'slack_webapi_http_error'],
    ['a rate limit', { status: 429, retryAfterSeconds: 1 }, 'slack_webapi_rate_limited_error'],
  ])('%s keeps the Web API client’s own error as cause', async (_name, failure, code) => {
    slack.failNext('chat.postMessage', failure);
    const sender = new SlackSender(slack.token, { apiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const error = await sender.post('C1', message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as Error).cause).toMatchObject({ code });
  });

  it('a network failure keeps the request error as cause', async () => {
    const sender = new SlackSender(slack.token, { apiUrl: 'http://127.0.0.1:9/api/', retryConfig: { retries: 0 } });
    const error = await sender.post('C1', message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DownstreamUnavailable);
    expect((error as Error).cause).toMatchObject({ code: 'slack_webapi_request_error' });
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | null, number | undefined]>([
    ['30', 30_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['soon', undefined],
    [null, undefined],
  ])('%j -> %j ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('2026-01-01T00:00:00Z'))).toBe(ms);
  });
});
