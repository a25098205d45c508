import type { ActionRunResult } from '../worker/action.js';
import type { TransitionTarget } from './config.js';
import type { JiraGateway, JiraTransition } from './gateway.js';

/**
 * What to move an issue to:
 * - `intent`: the configured `close` / `review` transition (closing keywords, merge requests).
 * - `command`: a Smart Commit `#<transition>` (hyphens already turned into spaces in `name`).
 */
export type TransitionRequest = { kind: 'intent'; intent: 'close' | 'review'; target: TransitionTarget } | { kind: 'command'; name: string; command: string };

export type TransitionChoice = { kind: 'chosen'; transition: JiraTransition } | { kind: 'none' } | { kind: 'ambiguous'; candidates: JiraTransition[] };

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** Human label of what was asked for: `'Done'`, `'Done' or 'Closed'`, `id 31`, `#start`. */
export function describeRequest(request: TransitionRequest): string {
  if (request.kind === 'command') return `'${request.name}'`;
  const target = request.target;
  if (typeof target === 'string') return `'${target}'`;
  if ('names' in target) return target.names.map((name) => `'${name}'`).join(' or ');
  return `id ${target.ids.join(' or ')}`;
}

/** Status names that mean "already there" for this request. */
function targetStatusNames(request: TransitionRequest): string[] {
  if (request.kind === 'command') return [request.name];
  const target = request.target;
  if (typeof target === 'string') return [target];
  return 'names' in target ? target.names : [];
}

/**
 * Picks the transition for a request from the ones Jira offers from the current status.
 *
 * Smart Commit commands follow Atlassian's rules: the transition's name (case-insensitive), or
 * the status it leads to, or, for a one-word command, the part of a transition's name before
 * its first space (`#start` matches "Start Progress"). Two candidates at the same level make
 * the command ambiguous ("Start Progress" and "Start Review"): nothing is done.
 *
 * Configured intents take the first transition, in Jira's order, whose name or destination
 * status matches a configured name, or whose id is listed.
 */
export function chooseTransition(transitions: readonly JiraTransition[], request: TransitionRequest): TransitionChoice {
  if (request.kind === 'intent') {
    const target = request.target;
    if (typeof target !== 'string' && 'ids' in target) {
      for (const id of target.ids) {
        const found = transitions.find((transition) => transition.id === id);
        if (found) return { kind: 'chosen', transition: found };
      }
      return { kind: 'none' };
    }
    for (const name of targetStatusNames(request)) {
      const found =
        transitions.find((transition) => same(transition.name, name)) ?? transitions.find((transition) => transition.to && same(transition.to.name, name));
      if (found) return { kind: 'chosen', transition: found };
    }
    return { kind: 'none' };
  }

  const name = request.name;
  const tiers: ((transition: JiraTransition) => boolean)[] = [
    (transition) => same(transition.name, name),
    (transition) => transition.to !== undefined && same(transition.to.name, name),
  ];
  if (!name.includes(' ')) tiers.push((transition) => same(transition.name.split(' ')[0] ?? '', name));
  for (const matches of tiers) {
    const candidates = distinct(transitions.filter(matches));
    const first = candidates[0];
    if (candidates.length === 1 && first) return { kind: 'chosen', transition: first };
    if (candidates.length > 1) return { kind: 'ambiguous', candidates };
  }
  return { kind: 'none' };
}

function distinct(transitions: readonly JiraTransition[]): JiraTransition[] {
  const byId = new Map<string, JiraTransition>();
  for (const transition of transitions) if (!byId.has(transition.id)) byId.set(transition.id, transition);
  return [...byId.values()];
}

/**
 * Moves an issue, or says why not. Reads the status first: an issue already in the target
 * status is skipped; a transition Jira does not offer from the current status is skipped with
 * the reason (retrying would not make it appear); an ambiguous Smart Commit command is skipped.
 * Errors from the gateway propagate with their types (retry is decided by the worker).
 */
export async function performTransition(gateway: JiraGateway, issueKey: string, request: TransitionRequest): Promise<ActionRunResult> {
  const status = await gateway.getIssueStatus(issueKey);
  if (targetStatusNames(request).some((name) => same(name, status.name))) return { skipped: `already in ${status.name}` };
  if (request.kind === 'intent' && request.intent === 'review' && status.categoryKey === 'done') {
    return { skipped: `already done (${status.name}); not moved back to review` };
  }

  const transitions = await gateway.getTransitions(issueKey);
  const choice = chooseTransition(transitions, request);
  if (choice.kind === 'none') return { skipped: `no transition ${describeRequest(request)} from '${status.name}'` };
  if (choice.kind === 'ambiguous') {
    const names = choice.candidates.map((transition) => `'${transition.name}'`).join(', ');
    const example = choice.candidates[0]?.name.toLowerCase().replace(/ +/g, '-') ?? '';
    const command = request.kind === 'command' ? `#${request.command}` : describeRequest(request);
    return { skipped: `${command} is ambiguous from '${status.name}': ${names}; write the full name with hyphens, e.g. #${example}` };
  }
  const chosen = choice.transition;
  if (chosen.to && same(chosen.to.name, status.name)) return { skipped: `already in ${status.name}` };
  await gateway.transitionIssue(issueKey, chosen.id);
  return { result: { transitionId: chosen.id, transition: chosen.name, from: status.name, ...(chosen.to ? { to: chosen.to.name } : {}) } };
}
