import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pipelineEvent } from '../fixtures/builders/pipeline.js';
import { pushEvent } from '../fixtures/builders/push.js';
import { NotifyHarness } from './harness.js';

/** `branches: "protected"`: how the worker decides a pipeline's ref is protected. */
const harness = new NotifyHarness();
const CHANNEL = 'C0PROTECTED';

beforeAll(() => harness.start());
afterAll(() => harness.stop());
afterEach(() => harness.expectEveryTeamsCardValid());

let projectId = 9000;
let nextId = 5000;
beforeEach(() => {
  harness.slack.reset();
  harness.configure({ routes: [{ projects: ['**'], events: ['pipeline'], branches: 'protected', slack: { channel: CHANNEL } }] });
  projectId += 1;
  nextId += 10;
});

const push = (branch: string, refProtected: boolean) => ({
  ...pushEvent({ branch, projectId, projectPath: 'gitlab-org/gitlab-test' }),
  ref_protected: refProtected,
});

describe('protected branches', () => {
  it('a push event saying the branch is protected makes its pipelines notify', async () => {
    const pushed = await harness.deliver(push('release/2.0', true));
    expect(pushed.record.outcomes).toEqual([]);
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'release/2.0' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
    expect(harness.slack.messages).toHaveLength(1);
  });

  it('a push saying it is not protected (any more) keeps its pipelines quiet, even on the default branch', async () => {
    await harness.deliver(push('master', true));
    await harness.deliver(push('master', false));
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'master' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'branch master is not watched (branches: protected branches)' });
  });

  it('with nothing known, only the default branch counts as protected', async () => {
    const main = await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'master' }));
    const other = await harness.deliver(pipelineEvent({ projectId, id: nextId + 1, ref: 'feature/x' }));
    expect(main.record.outcomes[0]?.status).toBe('sent');
    expect(other.record.outcomes[0]?.status).toBe('skipped');
  });

  it('a ref_protected field on the pipeline payload wins', async () => {
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'feature/x', attributes: { ref_protected: true } }));
    expect(record.outcomes[0]?.status).toBe('sent');
  });

  it('pushes are not remembered when no route filters on protected branches', async () => {
    harness.configure({ routes: [{ events: ['pipeline'], branches: 'all', slack: { channel: CHANNEL } }] });
    await harness.deliver(push('release/9', true));
    expect(await harness.state.get(`ref-protected:${projectId}@gitlab-org/gitlab-test:release/9`)).toBeUndefined();
  });

  it("a push with another project's path and this project's id cannot flip this project's protection", async () => {
    await harness.deliver(push('release/3.0', true));
    // Project A's token holder sends A's path with this project's (B's) id.
    const forged = { ...pushEvent({ branch: 'release/3.0', projectId, projectPath: 'attacker/a' }), ref_protected: false };
    await harness.deliver(forged);
    const { record } = await harness.deliver(pipelineEvent({ projectId, id: nextId, ref: 'release/3.0' }));
    expect(record.outcomes[0]).toMatchObject({ status: 'sent' });
  });
});
