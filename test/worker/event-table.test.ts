import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPlanners } from '../../functions/planners.js';
import { parseConfig } from '../../lib/config/load.js';
import { InvalidPayload } from '../../lib/errors.js';
import { HANDLED_OBJECT_KINDS, isHandledObjectKind } from '../../lib/gitlab/object-kinds.js';
import { SLACK_ACTION_KIND } from '../../lib/slack/interaction.js';
import type { EventTable } from '../../lib/worker/action.js';
import { on, parseEvent } from '../../lib/worker/event-table.js';

const credentials = {
  slackBotToken: async () => undefined,
  teamsWebhooks: async () => ({}),
  jira: async () => undefined,
  gitlabApiToken: async () => undefined,
};

describe('event tables', () => {
  it("the receiver queues exactly the kinds some planner's table handles (GitLab's and Slack's clicks)", () => {
    const planners = createPlanners({ config: parseConfig({ routes: [] }), credentials });
    const handled = new Set(planners.flatMap((planner) => Object.keys(planner.events)));
    expect([...handled].sort()).toEqual([...HANDLED_OBJECT_KINDS, SLACK_ACTION_KIND].sort());
  });

  it.each([
    ['pipeline', true],
    ['merge_request', true],
    ['push', true],
    ['build', true],
    ['tag_push', false],
    ['note', false],
    ['toString', false],
    [null, false],
  ])('%s is a handled object kind: %s', (kind, handled) => {
    expect(isHandledObjectKind(kind)).toBe(handled);
  });

  it('keys a table by handled kinds only', () => {
    const table: EventTable = { pipeline: on(z.object({ id: z.number() }), () => []) };
    // @ts-expect-error tag_push is not a kind the receiver queues, so no planner can handle it.
    const unknown: EventTable = { tag_push: on(z.unknown(), () => []) };
    expect(Object.keys({ ...table, ...unknown })).toEqual(['pipeline', 'tag_push']);
  });
});

describe('parseEvent', () => {
  const schema = z.looseObject({ object_kind: z.literal('push'), project: z.object({ web_url: z.string() }) });

  it('returns the payload typed, keeping fields the schema does not name', () => {
    expect(parseEvent(schema, { object_kind: 'push', project: { web_url: 'u' }, extra: 1 }, 'push')).toEqual({
      object_kind: 'push',
      project: { web_url: 'u' },
      extra: 1,
    });
  });

  it('throws InvalidPayload naming the kind and the offending paths', () => {
    const parse = () => parseEvent(schema, { object_kind: 'push', project: { web_url: 7 } }, 'push');
    expect(parse).toThrow(InvalidPayload);
    expect(parse).toThrow(/^push payload does not match GitLab's push event: project\.web_url: /);
  });

  it('names the root when the payload is not an object', () => {
    expect(() => parseEvent(schema, 'text', 'push')).toThrow(/: \(root\): /);
  });
});
