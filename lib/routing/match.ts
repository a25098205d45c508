import { branchRegex, type BranchFilter, type Route, type RouteEvent, type RouteOptions } from './schema.js';

/**
 * Project path glob: `*` matches one path segment (or part of one), `**` any number of
 * segments. `acme/*` matches `acme/app` but not `acme/tools/cli`; `acme/**` matches both (and
 * not `acme` itself); `**` matches every project. Case-insensitive, like GitLab paths.
 */
export function matchesProject(pattern: string, path: string): boolean {
  return projectGlobRegex(pattern).test(path);
}

const projectGlobCache = new Map<string, RegExp>();

function projectGlobRegex(pattern: string): RegExp {
  let regex = projectGlobCache.get(pattern);
  if (!regex) {
    let source = '';
    const segments = pattern.split('/');
    segments.forEach((segment, index) => {
      const last = index === segments.length - 1;
      if (segment === '**') {
        // `a/**` needs at least one more segment; `**/b` and `a/**/b` allow zero or more.
        source += last ? '[^/]+(?:/[^/]+)*' : '(?:[^/]+/)*';
        return;
      }
      source += segment.split('*').map(escapeRegex).join('[^/]*');
      if (!last) source += '/';
    });
    regex = new RegExp(`^${source}$`, 'i');
    projectGlobCache.set(pattern, regex);
  }
  return regex;
}

/** Wildcard branch pattern as GitLab reads it: `*` matches any characters, `/` included. */
function wildcardRegex(pattern: string, flags = ''): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`, flags);
}

/**
 * Name glob for usernames, author names and labels: `*` matches any characters, and case does not
 * count (GitLab usernames are case-insensitive; `Renovate Bot` and `renovate bot` are one author).
 */
export function matchesName(pattern: string, name: string): boolean {
  return wildcardRegex(pattern, 'i').test(name);
}

function matchesBranchPatterns(patterns: readonly string[], branch: string): boolean {
  return patterns.some((pattern) => (branchRegex(pattern) ?? wildcardRegex(pattern)).test(branch));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What the branch filter needs to know about a ref. */
export interface RefFacts {
  /** Short ref: `main`, `release/1.2`, `v1.0.0`. */
  ref: string;
  isTag: boolean;
  /** The project's default branch, when GitLab sent it. */
  defaultBranch: string | null | undefined;
  /** Whether the ref is protected, when known (docs/notices.md: How "protected" is decided). */
  isProtected: boolean | undefined;
}

/** Whether a ref passes a route's branch filter. */
export function matchesBranches(filter: BranchFilter, facts: RefFacts): boolean {
  if (filter === 'all') return true;
  if (filter === 'default') return !facts.isTag && facts.defaultBranch != null && facts.ref === facts.defaultBranch;
  if (filter === 'protected') return facts.isProtected === true;
  return matchesBranchPatterns(filter, facts.ref);
}

/** Human form of a branch filter for skip reasons: `default branch`, `release/*, main`. */
export function describeBranchFilter(filter: BranchFilter): string {
  if (filter === 'all') return 'all branches';
  if (filter === 'default') return 'the default branch';
  if (filter === 'protected') return 'protected branches';
  return filter.join(', ');
}

/** Routes that take this event from this project, in config order. */
export function routesFor(routes: readonly Route[], event: RouteEvent, projectPath: string): Route[] {
  return routes.filter((route) => route.events.includes(event) && route.projects.some((pattern) => matchesProject(pattern, projectPath)));
}

/** What a route's event filters (`excludeAuthors`, `labels`, `excludeLabels`, `targetBranches`) read from an event. */
export interface EventFilterFacts {
  /** The event user's GitLab username and the commit author's name, when the payload has them. */
  people: string[];
  /** The merge request's label titles; undefined for events that carry none (pipelines). */
  labels?: string[];
  /** The merge request's target branch; undefined for events of no merge request (branch and tag pipelines). */
  targetBranch?: string;
}

/**
 * Why a route's options keep this event quiet, for the delivery log, or undefined when they let it
 * through. A filter applies only to events that carry what it reads: `labels` and `excludeLabels`
 * to merge request events, `targetBranches` to merge request events and merge request pipelines.
 */
export function filteredOutBy(options: RouteOptions, facts: EventFilterFacts): string | undefined {
  const { excludeAuthors, labels, excludeLabels, targetBranches } = options;
  if (excludeAuthors) {
    const excluded = facts.people.find((person) => excludeAuthors.some((pattern) => matchesName(pattern, person)));
    if (excluded !== undefined) return `author ${excluded} is excluded (excludeAuthors: ${excludeAuthors.join(', ')})`;
  }
  if (facts.labels !== undefined) {
    const present = facts.labels;
    if (excludeLabels) {
      const excluded = present.find((label) => excludeLabels.some((pattern) => matchesName(pattern, label)));
      if (excluded !== undefined) return `label ${excluded} is excluded (excludeLabels: ${excludeLabels.join(', ')})`;
    }
    if (labels && !present.some((label) => labels.some((pattern) => matchesName(pattern, label)))) {
      return `${present.length === 0 ? 'no labels' : `labels ${present.join(', ')}`}: none of labels ${labels.join(', ')}`;
    }
  }
  if (targetBranches && facts.targetBranch !== undefined && !matchesBranchPatterns(targetBranches, facts.targetBranch)) {
    return `target branch ${facts.targetBranch} is not watched (targetBranches: ${targetBranches.join(', ')})`;
  }
  return undefined;
}
