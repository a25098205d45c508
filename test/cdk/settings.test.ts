import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readBridgeSettings } from '../../cdk/settings.js';
import { DEFAULTS } from '../../lib/defaults.js';
import { ConfigError } from '../../lib/errors.js';

/** Context parsing alone, without a synth: the stack tests cover what the settings become. */
const settings = (context: Record<string, unknown>) => readBridgeSettings(new App({ context: { config: 'none', ...context } }).node);

describe('readBridgeSettings', () => {
  it('defaults come from DEFAULTS, the same values the functions fall back to', () => {
    expect(settings({})).toMatchObject({ retentionDays: DEFAULTS.retentionDays, maxAttempts: DEFAULTS.maxAttempts, maxBodyBytes: undefined, retainData: true });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['text from -c', { maxAttempts: '8', retainData: 'false', retentionDays: ' 7 ' }, { maxAttempts: 8, retainData: false, retentionDays: 7 }],
    ['JSON scalars from cdk.json', { maxAttempts: 8, retainData: false }, { maxAttempts: 8, retainData: false }],
    ['blank text as absent', { maxAttempts: '  ', alarmEmail: '' }, { maxAttempts: DEFAULTS.maxAttempts, alarmEmail: undefined }],
  ])('reads %s', (_name, context, expected) => {
    expect(settings(context)).toMatchObject(expected);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ maxAttempts: { n: 5 } }, 'context maxAttempts: expected a single value, got {"n":5}'],
    [{ maxAttempts: '2.5' }, 'context maxAttempts: expected a whole number from 1 to 1000, got "2.5" (cdk synth -c maxAttempts=...)'],
    [{ maxAttempts: '0' }, 'context maxAttempts: expected a whole number from 1 to 1000, got "0" (cdk synth -c maxAttempts=...)'],
    [{ retainData: 'yes' }, 'context retainData: expected true or false, got "yes"'],
    [{ stackName: '9lives' }, 'context stackName: "9lives" is not a valid CloudFormation stack name (letters, digits, hyphens; starts with a letter)'],
    [{ alarmEmail: 'ops@localhost' }, 'context alarmEmail: "ops@localhost" is not an email address'],
  ])('refuses %o with a ConfigError naming the key', (context, message) => {
    expect(() => settings(context)).toThrow(ConfigError);
    expect(() => settings(context)).toThrow(message);
  });

  it.each([
    ['https://gitlab.example.com/api/v4/', 'https://gitlab.example.com'],
    ['https://example.com/gitlab', 'https://example.com/gitlab'],
  ])('reads -c gitlabUrl=%s as the instance root %s', (gitlabUrl, root) => {
    expect(settings({ gitlabUrl }).gitlabUrl).toBe(root);
    expect(settings({}).gitlabUrl).toBeUndefined();
  });

  it.each([
    ['http://gitlab.example.com', 'context gitlabUrl: "http://gitlab.example.com" uses plain http, which would send the GitLab API token in clear'],
    ['gitlab.example.com', 'context gitlabUrl: "gitlab.example.com" is not a URL'],
  ])('refuses -c gitlabUrl=%s at synth, where the worker would refuse it on every notice', (gitlabUrl, message) => {
    expect(() => settings({ gitlabUrl })).toThrow(ConfigError);
    expect(() => settings({ gitlabUrl })).toThrow(message);
  });
});
