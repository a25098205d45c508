import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BridgeError,
  ConfigError,
  DownstreamRateLimited,
  DownstreamRejected,
  DownstreamUnavailable,
  EffectInProgress,
  InvalidPayload,
  describeError,
  isRetryable,
  type DownstreamService,
} from '../lib/errors.js';

const original = new Error('socket hang up');

describe('BridgeError and its subclasses', () => {
  it.each<[string, BridgeError]>([
    ['ConfigError', new ConfigError('bridge.config.json: routes[0] is wrong', { cause: original })],
    ['DownstreamRateLimited', new DownstreamRateLimited('Slack', 1_000, undefined, { cause: original })],
    ['DownstreamUnavailable', new DownstreamUnavailable('Teams', 'Teams webhook "ops" unreachable: ECONNRESET', undefined, { cause: original })],
    ['DownstreamRejected', new DownstreamRejected('Jira', 'Jira answered 404', 404, ['Issue does not exist'], { cause: original })],
    ['InvalidPayload', new InvalidPayload('pipeline payload does not match', { cause: original })],
  ])('%s is a BridgeError with its own name that keeps the original error as cause', (name, error) => {
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.cause).toBe(original);
  });

  it('EffectInProgress is a BridgeError naming the effect key', () => {
    const error = new EffectInProgress('slack:C1:42');
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.name).toBe('EffectInProgress');
    expect(error.message).toBe('effect slack:C1:42 is being performed by another attempt');
  });

  it('a downstream error names its service', () => {
    const services: DownstreamService[] = ['Slack', 'Teams', 'Jira', 'GitLab'];
    expect(services.map((service) => new DownstreamRateLimited(service, 2_500).message)).toEqual([
      'Slack rate limited the request; retry after 3s',
      'Teams rate limited the request; retry after 3s',
      'Jira rate limited the request; retry after 3s',
      'GitLab rate limited the request; retry after 3s',
    ]);
    expect(new DownstreamRejected('Jira', 'Jira answered 400').service).toBe('Jira');
  });

  it('describeError records the message only, never the cause (a cause may quote a secret URL)', () => {
    const cause = new Error('fetch failed for https://example.invalid/hook?sig=secret');
    expect(describeError(new DownstreamUnavailable('Teams', 'Teams webhook "ops" unreachable: network error', undefined, { cause }))).toBe(
      'Teams webhook "ops" unreachable: network error',
    );
  });
});

describe('isRetryable', () => {
  it.each<[string, unknown, boolean]>([
    ['a config mistake', new ConfigError('x'), false],
    ['a refusal', new DownstreamRejected('Slack', 'x'), false],
    ['an invalid payload', new InvalidPayload('x'), false],
    ['a zod error escaping a planner', z.object({ a: z.string() }).safeParse({}).error, false],
    ['an error merely named ZodError', Object.assign(new Error('x'), { name: 'ZodError' }), true],
    ['a rate limit', new DownstreamRateLimited('Jira', undefined), true],
    ['an outage', new DownstreamUnavailable('Teams', 'x'), true],
    ['an effect in progress', new EffectInProgress('k'), true],
    ['anything else', new Error('x'), true],
  ])('%s -> %s', (_name, error, retryable) => {
    expect(isRetryable(error)).toBe(retryable);
  });
});
