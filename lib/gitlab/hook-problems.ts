/**
 * What is wrong with the bridge's hook as GitLab's project hooks API shows it, beyond its alert
 * status: settings that make GitLab send something the bridge cannot act on. Pure, for
 * `gitlab connect`, `gitlab status` and the scheduled watch alike.
 */

/** The fields of GitLab's project hook (`GET /projects/:id/hooks`) this reads. */
export interface HookSettingsView {
  /** GitLab 16.10+; absent on older instances, empty or null when not set. */
  custom_webhook_template?: string | null;
}

export interface HookProblem {
  code: 'custom_webhook_template';
  /** One line for a terminal or a notice, with the fix. */
  message: string;
}

/** The hook's problems, empty when GitLab sends the bridge the events as they are. */
export function hookProblems(hook: HookSettingsView): HookProblem[] {
  const problems: HookProblem[] = [];
  if (typeof hook.custom_webhook_template === 'string' && hook.custom_webhook_template.trim() !== '') {
    problems.push({
      code: 'custom_webhook_template',
      message:
        "has a custom webhook template: GitLab sends the template's output instead of the event, which the bridge records as ignored; " +
        '`gitlab-bridge gitlab connect --project P` clears it',
    });
  }
  return problems;
}
