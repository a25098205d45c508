// PLACEHOLDER: replaced by the notify work (zero-config route from SLACK_* / TEAMS_* variables).
export function routingFromEnv(_env: NodeJS.ProcessEnv): { slack?: { apiUrl?: string }; routes: unknown[] } {
  return { routes: [] };
}
