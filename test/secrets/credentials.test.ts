import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.js';
import { credentialsFromEnv, parseGitLabApiTokenSecret, parseJiraSecret, parseTeamsSecret } from '../../lib/secrets/credentials.js';

describe('secret parsing', () => {
  it('reads Teams webhooks as a JSON map or a single URL', () => {
    expect(parseTeamsSecret('{"platform":"https://example.invalid/a","web":"REPLACE_ME"}')).toEqual({ platform: 'https://example.invalid/a' });
    expect(parseTeamsSecret('https://example.invalid/b')).toEqual({ default: 'https://example.invalid/b' });
    expect(parseTeamsSecret('REPLACE_ME with your webhook URLs')).toEqual({});
  });

  it('refuses a malformed Teams secret without quoting it', () => {
    const secret = '{"default": https://prod.logic.example/workflows/sig=SECRETSIG}';
    expect(() => parseTeamsSecret(secret)).toThrow(ConfigError);
    expect(() => parseTeamsSecret(secret)).toThrow(
      /^the Teams webhooks secret is not a JSON object; see docs\/deploy\.md, "Put in the Slack, Teams and Jira credentials", for its format$/,
    );
  });

  it('reads Jira basic and bearer credentials and treats placeholders as unset', () => {
    expect(parseJiraSecret('{"email":"bot@example.com","apiToken":"t0k"}')).toEqual({ email: 'bot@example.com', apiToken: 't0k' });
    expect(parseJiraSecret('{"bearerToken":"pat"}')).toEqual({ bearerToken: 'pat' });
    expect(parseJiraSecret('{"email":"bot@example.com","apiToken":"REPLACE_ME"}')).toBeUndefined();
  });

  it('takes the first Jira form that is set: a placeholder bearer token falls back to email and API token', () => {
    expect(parseJiraSecret('{"bearerToken":"REPLACE_ME","email":"bot@example.com","apiToken":"t0k","extra":1}')).toEqual({
      email: 'bot@example.com',
      apiToken: 't0k',
    });
    expect(parseJiraSecret('{"bearerToken":42}')).toBeUndefined();
  });

  it('refuses a JSON array as the Jira secret, without quoting it', () => {
    expect(() => parseJiraSecret('["ATATT-secret"]')).toThrow(
      /^the Jira credentials secret is not a JSON object; see docs\/deploy\.md, "Put in the Slack, Teams and Jira credentials", for its format$/,
    );
  });

  it('refuses a malformed Jira secret without quoting it', () => {
    expect(() => parseJiraSecret('{"apiToken": ATATT-secret')).toThrow(
      /^the Jira credentials secret is not a JSON object; see docs\/deploy\.md, "Put in the Slack, Teams and Jira credentials", for its format$/,
    );
  });

  it('reads credentials from the environment', async () => {
    const credentials = credentialsFromEnv({
      SLACK_BOT_TOKEN: 'xoxb-1',
      TEAMS_WEBHOOK_URL: 'https://example.invalid/t',
      JIRA_EMAIL: 'bot@example.com',
      JIRA_API_TOKEN: 'j',
    });
    expect(await credentials.slackBotToken()).toBe('xoxb-1');
    expect(await credentials.teamsWebhooks()).toEqual({ default: 'https://example.invalid/t' });
    expect(await credentials.jira()).toEqual({ email: 'bot@example.com', apiToken: 'j' });
  });
});

describe('the GitLab API token', () => {
  it.each([
    ['glpat-abc123', 'glpat-abc123'],
    ['  glpat-abc123\n', 'glpat-abc123'],
    ['{"token":"glpat-abc123"}', 'glpat-abc123'],
    ['REPLACE_ME: put the GitLab API token (glpat-...) here', undefined],
    ['{"token":"REPLACE_ME"}', undefined],
    ['{"token":42}', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads the secret %j as %j', (text, token) => {
    expect(parseGitLabApiTokenSecret(text)).toBe(token);
  });

  it('refuses a malformed GitLab API token secret without quoting it', () => {
    expect(() => parseGitLabApiTokenSecret('{"token": glpat-secret')).toThrow(
      /^the GitLab API token secret is not a JSON object; see docs\/deploy\.md, "Put in the Slack, Teams and Jira credentials", for its format$/,
    );
  });

  it.each(['glpat-leak\nX-Other: 1', '{"token":"glpat-leak\\r\\nX"}', 'glpat-leak\u0000', 'glpat-léak'])(
    'refuses a GitLab API token secret %j that is not one line of printable ASCII, without quoting it',
    (text) => {
      expect(() => parseGitLabApiTokenSecret(text)).toThrow(
        /^the GitLab API token \(secret\) is not one line of printable ASCII; put in the token alone \(glpat-\.\.\.\)$/,
      );
    },
  );

  it('refuses a GITLAB_API_TOKEN with a newline inside, without quoting it', async () => {
    const read = credentialsFromEnv({ GITLAB_API_TOKEN: 'glpat-leak\nsecond' }).gitlabApiToken();
    await expect(read).rejects.toThrow(
      /^the GitLab API token \(GITLAB_API_TOKEN\) is not one line of printable ASCII; put in the token alone \(glpat-\.\.\.\)$/,
    );
  });

  it('reads GITLAB_API_TOKEN from the environment; a placeholder is no token', async () => {
    expect(await credentialsFromEnv({ GITLAB_API_TOKEN: 'glpat-env' }).gitlabApiToken()).toBe('glpat-env');
    expect(await credentialsFromEnv({ GITLAB_API_TOKEN: 'REPLACE_ME' }).gitlabApiToken()).toBeUndefined();
    expect(await credentialsFromEnv({}).gitlabApiToken()).toBeUndefined();
  });
});
