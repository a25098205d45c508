import { describe, expect, it } from 'vitest';
import { hookProblems } from '../../lib/gitlab/hook-problems.js';
import { templateOutputReason } from '../../lib/gitlab/template-output.js';
import { allFixtures, readFixture } from '../support/gitlab-fixtures.js';

describe('templateOutputReason', () => {
  it.each([
    ['a body with no kind at all', 'Push Hook', { event: 'push', project: 'group/app' }, 'it has no object_kind or event_name'],
    ['an empty object', 'Pipeline Hook', {}, 'it has no object_kind or event_name'],
    ['an empty object_kind', 'Pipeline Hook', { object_kind: '' }, 'it has no object_kind or event_name'],
    [
      'a kind that does not fit the header',
      'Merge Request Hook',
      { object_kind: 'push' },
      'object_kind "push" does not fit X-Gitlab-Event "Merge Request Hook"',
    ],
    [
      'event_name without object_kind under a header that sends one',
      'Push Hook',
      { event_name: 'push' },
      'it has no object_kind, which GitLab sends with "Push Hook"',
    ],
    [
      'control characters from the body, cut short',
      'Job Hook',
      { object_kind: `\u001b[31m${'x'.repeat(100)}` },
      `object_kind "?[31m${'x'.repeat(35)}…" does not fit X-Gitlab-Event "Job Hook"`,
    ],
  ])('is the template output: %s', (_name, event, payload, detail) => {
    expect(templateOutputReason(event, payload)).toBe(`custom webhook template: the body is not GitLab's event payload (${detail})`);
  });

  it.each(allFixtures().map((fixture) => [fixture.file, fixture] as const))("is not the template output: GitLab's example %s", (_file, fixture) => {
    expect(templateOutputReason(fixture.x_gitlab_event, readFixture(fixture.file) as Record<string, unknown>)).toBeNull();
  });

  it.each([
    ['a system hook', 'System Hook', { event_name: 'project_create' }],
    ['an event GitLab adds later', 'Shiny New Hook', { object_kind: 'shiny' }],
    ['a work item under Issue Hook', 'Issue Hook', { object_kind: 'work_item' }],
  ])('is not the template output: %s', (_name, event, payload) => {
    expect(templateOutputReason(event, payload)).toBeNull();
  });
});

describe('hookProblems', () => {
  it.each([
    ['no template (GitLab before 16.10)', {}, []],
    ['a null template', { custom_webhook_template: null }, []],
    ['an empty template', { custom_webhook_template: '' }, []],
    ['a blank template, which GitLab treats as none', { custom_webhook_template: '  \n' }, []],
    ['a template', { custom_webhook_template: '{"kind":"{{object_kind}}"}' }, ['custom_webhook_template']],
  ])('%s', (_name, hook, codes) => {
    expect(hookProblems(hook).map((problem) => problem.code)).toEqual(codes);
  });

  it('says what the template does and how to clear it', () => {
    expect(hookProblems({ custom_webhook_template: '{}' })[0]?.message).toBe(
      "has a custom webhook template: GitLab sends the template's output instead of the event, which the bridge records as ignored; `gitlab-bridge gitlab connect --project P` clears it",
    );
  });
});
