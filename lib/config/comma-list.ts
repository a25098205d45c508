/**
 * A comma-separated setting (`GITLAB_WEBHOOK_TOKEN=old,new`, `JIRA_PROJECT_KEYS=ABC,OPS`,
 * `--status failed,retrying`) as its items: trimmed, empty ones dropped.
 */
export function splitCommaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
