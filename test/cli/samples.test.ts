import { describe, expect, it } from 'vitest';
import { buildSampleRequest, printableHeaders } from '../../cli/commands/send-sample.js';
import { freshenSample, loadSample, SAMPLE_KINDS, SAMPLES, withProject, type FreshIds } from '../../cli/samples.js';
import { summarizeEvent } from '../../lib/gitlab/events.js';
import { MergeRequestEventSchema, PipelineEventSchema, PushEventSchema } from '../../lib/gitlab/schemas.js';

const SCHEMAS = { 'Pipeline Hook': PipelineEventSchema, 'Merge Request Hook': MergeRequestEventSchema, 'Push Hook': PushEventSchema } as const;

describe('sample payloads', () => {
  it.each(SAMPLE_KINDS)("%s parses with the worker's schema and names the sample project", (kind) => {
    const payload = loadSample(kind);
    expect(() => SCHEMAS[SAMPLES[kind].event].parse(payload)).not.toThrow();
    expect(summarizeEvent(payload)).toMatchObject({ projectPath: 'flightjs/flight-management', projectId: 2, ref: 'main' });
  });

  it.each([
    [
      'pipeline-failed',
      (p: any) => [p.object_attributes.status, p.builds.filter((b: any) => b.status === 'failed').map((b: any) => b.failure_reason)],
      ['failed', ['script_failure']],
    ],
    ['pipeline-success', (p: any) => [p.object_attributes.status, p.builds.filter((b: any) => b.status === 'failed').length], ['success', 0]],
    ['mr-opened', (p: any) => [p.object_attributes.action, p.object_attributes.state], ['open', 'opened']],
    ['mr-merged', (p: any) => [p.object_attributes.action, p.object_attributes.state, p.object_attributes.merge_commit_sha.length], ['merge', 'merged', 40]],
    ['push-closes', (p: any) => [p.commits.length, /\bCloses ABC-1\b/.test(p.commits[0].message), p.total_commits_count], [1, true, 1]],
    ['push-smart-commit', (p: any) => [p.commits[0].message], ['ABC-2 #comment Booking form rejects malformed emails #time 1h 30m #in-review']],
  ] as const)('%s says what its name says', (kind, read, expected) => {
    expect(read(loadSample(kind))).toEqual(expected);
  });

  const counter = (): FreshIds => {
    let n = 0;
    return { int: () => 500 + ++n, sha: () => String(++n).padStart(40, 'f') };
  };

  it('gives pipelines a new id and url, and pushes new SHAs with after/checkout_sha following', () => {
    const pipeline = freshenSample('pipeline-failed', loadSample('pipeline-failed'), counter()) as any;
    expect(pipeline.object_attributes.id).toBe(501);
    expect(pipeline.object_attributes.url).toBe('http://gitlab.example.com/flightjs/flight-management/-/pipelines/501');
    const push = freshenSample('push-closes', loadSample('push-closes'), counter()) as any;
    expect(push.commits[0].id).toBe('1'.padStart(40, 'f'));
    expect(push.commits[0].url).toBe(`http://gitlab.example.com/flightjs/flight-management/-/commit/${'1'.padStart(40, 'f')}`);
    expect([push.after, push.checkout_sha]).toEqual([push.commits[0].id, push.commits[0].id]);
  });

  it('keeps merge request ids so opened and merged are the same merge request', () => {
    const opened = freshenSample('mr-opened', loadSample('mr-opened'), counter()) as any;
    const merged = freshenSample('mr-merged', loadSample('mr-merged'), counter()) as any;
    expect([opened.object_attributes.id, opened.object_attributes.iid]).toEqual([merged.object_attributes.id, merged.object_attributes.iid]);
  });

  it('moves a sample to another project, URLs included', () => {
    const moved = withProject(loadSample('mr-opened'), 'acme/platform/shop') as any;
    expect(summarizeEvent(moved).projectPath).toBe('acme/platform/shop');
    expect(moved.project).toMatchObject({ name: 'shop', namespace: 'acme/platform', web_url: 'http://gitlab.example.com/acme/platform/shop' });
    expect(moved.object_attributes.url).toBe('http://gitlab.example.com/acme/platform/shop/-/merge_requests/16');
    expect(JSON.stringify(moved)).not.toContain('flightjs/flight-management');
  });

  it('never prints the token or signature', () => {
    const request = buildSampleRequest('push', loadSample('push'), {
      url: 'http://127.0.0.1:1/webhooks/gitlab',
      token: 't0ken',
      signingKey: `whsec_${Buffer.alloc(32).toString('base64')}`,
      now: new Date(),
    });
    const shown = printableHeaders(request.headers);
    expect(shown['X-Gitlab-Token']).toBe('[REDACTED]');
    expect(shown['webhook-signature']).toBe('[REDACTED]');
    expect(JSON.stringify(shown)).not.toContain('t0ken');
  });
});
