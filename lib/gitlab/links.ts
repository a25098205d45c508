/**
 * Links built from a payload's URLs, for notices and Jira comments alike: a payload's URLs are
 * input, so only http(s) URLs on the GitLab instance's own origin become links.
 */

/** Only http(s) URLs become links; anything else (javascript:, slack:) is dropped. */
export function safeUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `url` when it is an http(s) URL on the same origin (scheme, host, port) as `base`, the
 * project's `web_url`; else undefined. Notices and Jira comments link only to the GitLab instance the event came
 * from: a payload's other URLs (pipeline, job, commit, MR) are input, and a link elsewhere
 * under a trusted-looking label would be phishing bait.
 */
export function onOrigin(url: string | null | undefined, base: string): string | undefined {
  const safe = safeUrl(url);
  if (!safe) return undefined;
  try {
    return new URL(safe).origin === new URL(base).origin ? safe : undefined;
  } catch {
    return undefined;
  }
}
