import { slackChannels, teamsWebhookNames, type Route } from '../routing/schema.js';

export type Target = { kind: 'slack'; channel: string } | { kind: 'teams'; webhook: string };

/** A destination and every matching route that sends to it. */
export interface TargetRoutes {
  target: Target;
  /** `slack:<channel>` or `teams:<webhook name>`: the prefix of its effect and state keys. */
  id: string;
  routes: Route[];
}

/**
 * Groups matching routes by destination, so a channel that two routes name gets one notice
 * per event, decided from the options of every route that sends there.
 */
export function targetsOf(routes: readonly Route[]): TargetRoutes[] {
  const byId = new Map<string, TargetRoutes>();
  const add = (target: Target, route: Route) => {
    const id = target.kind === 'slack' ? `slack:${target.channel}` : `teams:${target.webhook}`;
    const entry = byId.get(id);
    if (entry) entry.routes.push(route);
    else byId.set(id, { target, id, routes: [route] });
  };
  for (const route of routes) {
    for (const channel of slackChannels(route)) add({ kind: 'slack', channel }, route);
    for (const webhook of teamsWebhookNames(route)) add({ kind: 'teams', webhook }, route);
  }
  return [...byId.values()];
}

export function targetName(target: Target): string {
  return target.kind === 'slack' ? target.channel : target.webhook;
}
