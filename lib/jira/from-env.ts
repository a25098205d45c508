// PLACEHOLDER: replaced by the Jira work (zero-config from JIRA_* variables).
export function jiraConfigFromEnv(_env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  return undefined;
}
