/**
 * The bridge sends credentials to every downstream it calls (a Jira token, the Slack bot token,
 * a Teams webhook URL whose query string is its signature): plain http would show them to the
 * network. http stays allowed for a server on this machine, where the local stand-ins and tests
 * run.
 */

/** Appended to the setting's name in config errors. */
export const HTTPS_REQUIRED = 'must use https (plain http is accepted only for a server on this machine: 127.0.0.1, ::1 or localhost)';

/** True for 127.0.0.0/8, ::1 and localhost, as `URL.hostname` spells them. */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * True for an https URL, or an http URL on a loopback host. False for anything else, including
 * text that is not a URL (callers check the shape separately, with their own message).
 */
export function isHttpsOrLoopback(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHostname(parsed.hostname));
}
