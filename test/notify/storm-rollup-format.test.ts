import { describe, expect, it } from 'vitest';
import { formatStormRollup, rollupScope, type RollupLine } from '../../lib/notify/slack/rollup.js';

const line = (n: number, project = `acme/service-${n % 10}`): RollupLine => ({
  effect: `slack:C1:pipeline:${n}:failed`,
  streak: `slack:C1:ref:${project}:main`,
  projectPath: project,
  projectUrl: `https://gitlab.example.com/${project}`,
  ref: 'main',
  refUrl: `https://gitlab.example.com/${project}/-/tree/main`,
  pipelineId: n,
  pipelineUrl: `https://gitlab.example.com/${project}/-/pipelines/${n}`,
});

describe('rollupScope', () => {
  it.each([
    [['acme/a', 'acme/b'], 'acme/*'],
    [['acme/web/a', 'acme/web/b'], 'acme/web/*'],
    [['acme/a', 'other/b', 'other/c'], '3 projects'],
    [['acme/a', 'acme/web/b'], '2 projects'],
  ])('names %j as %s', (paths, scope) => expect(rollupScope(paths)).toBe(scope));
});

describe('formatStormRollup', () => {
  it('counts failing and fixed lines and links each pipeline', () => {
    const lines = [line(1), { ...line(2), fixedBy: { pipelineId: 9, pipelineUrl: 'https://gitlab.example.com/acme/service-2/-/pipelines/9' } }];
    const message = formatStormRollup(lines);
    expect(message.text).toBe(':rotating_light: 1 pipeline failing in acme/*, 1 fixed');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('<https://gitlab.example.com/acme/service-1/-/pipelines/1|#1>');
    expect(text).toContain('fixed by <https://gitlab.example.com/acme/service-2/-/pipelines/9|#9>');
  });

  it("stays within Slack's 50 blocks and 3000 characters a section however many lines, saying how many are left out", () => {
    const message = formatStormRollup(Array.from({ length: 400 }, (_, n) => line(n, `acme/${'long-name-'.repeat(8)}${n}`)));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks) if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3000);
    const shown = JSON.stringify(message.blocks).match(/• /g)?.length ?? 0;
    expect(JSON.stringify(message.blocks)).toContain(`${400 - shown} earlier ones are left out`);
    // Newest last: the last failure is shown.
    expect(JSON.stringify(message.blocks)).toContain('|#399>');
  });
});
