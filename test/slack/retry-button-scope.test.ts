import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gitlabClientFactory } from '../../lib/gitlab/api-client.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { startFakeGitLab, type FakeGitLab } from '../support/gitlab-server.js';
import { NotifyHarness } from '../notify/harness.js';

/**
 * The button is offered only when the bridge may retry: `interactions.retry.enabled` and a GitLab
 * token with the `api` scope, as GitLab's `GET /personal_access_tokens/self` reports it. The
 * notice never waits on that answer failing.
 */
const harness = new NotifyHarness();
const API = 'glpat-scope-api00000000000';
const READ = 'glpat-scope-readapi000000';
const route: RouteInput = { name: 'ci', projects: ['**'], events: ['pipeline'], slack: { channel: 'C0RETRY' } };
let gitlab: FakeGitLab;
let pipelineId = 500;

beforeAll(async () => {
  await harness.start();
  gitlab = await startFakeGitLab({ maintainerTokens: [API, READ], tokenScopes: { [API]: ['api'], [READ]: ['read_api'] } });
});
afterAll(async () => {
  await harness.stop();
  await gitlab.stop();
});
beforeEach(() => {
  harness.slack.reset();
  pipelineId += 1;
});

const configure = (token: string, enabled: boolean) => {
  // A fresh client each time: the scopes are cached per client for an hour.
  const api = gitlabClientFactory(gitlab.url, token);
  harness.configure({ routes: [route], gitlab: { forProject: async () => ({ api }) }, interactions: { retry: { enabled } } });
};
const noticeHasButton = async () => {
  await harness.deliver(pipelineEvent({ projectId: pipelineId, id: pipelineId, status: 'failed', failedJobs: [{ name: 'rspec' }] }));
  const notice = harness.slack.messages.find((message) => message.threadTs === undefined);
  expect(notice).toBeDefined();
  return JSON.stringify(notice!.blocks).includes('"action_id":"retry_pipeline"');
};

describe('the Retry failed jobs button', () => {
  it('is offered with a token that has the api scope', async () => {
    configure(API, true);
    expect(await noticeHasButton()).toBe(true);
  });

  it('is not offered with a read_api token (GitLab would refuse the retry)', async () => {
    configure(READ, true);
    expect(await noticeHasButton()).toBe(false);
  });

  it('is not offered unless interactions.retry.enabled', async () => {
    configure(API, false);
    expect(await noticeHasButton()).toBe(false);
  });

  it('is not offered when GitLab does not say the scopes, and the notice still goes out', async () => {
    configure(API, true);
    gitlab.script('GET', /\/personal_access_tokens\/self$/, [{ status: 401 }]);
    expect(await noticeHasButton()).toBe(false);
  });
});
