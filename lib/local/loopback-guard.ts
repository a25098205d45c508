import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Headers only a browser sends: `Origin` on every cross-origin request and on every POST
 * (Fetch standard, "append a request `Origin` header"), and the `Sec-Fetch-*` metadata, which
 * page scripts cannot set (they are forbidden header names). The AWS SDKs, the CLI and GitLab
 * send none of them.
 */
const BROWSER_HEADERS = ['origin', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest'] as const;

/** The host part of a `Host` header: `127.0.0.1:3001` -> `127.0.0.1`, `[::1]:3001` -> `::1`. */
function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * Whether a `Host` header names this machine: `localhost`, an IPv4 address in 127.0.0.0/8 or
 * `::1`, with or without a port. A page that rebinds its own DNS name to 127.0.0.1 still sends
 * its own name here, so refusing other names stops DNS rebinding.
 */
export function isLoopbackHost(header: string, alsoAllowed: readonly string[] = []): boolean {
  const name = hostName(header);
  if (name === 'localhost' || name === '::1') return true;
  if (isIP(name) === 4 && name.startsWith('127.')) return true;
  return alsoAllowed.includes(name);
}

/**
 * Why a request to a loopback-only service is refused, or undefined when it may pass. Pure:
 * decided from the method and headers alone.
 *
 * - A CORS preflight (`OPTIONS`) or any browser header: a web page the developer has open would
 *   otherwise read or write the local delivery log and queue (dynalite answers preflights with
 *   `Access-Control-Allow-Origin: *`, and local-aws-sqs takes form-encoded POSTs that browsers
 *   send without a preflight).
 * - With `checkHost`, a `Host` that is not a loopback name: DNS rebinding.
 */
export function browserRefusal(
  request: Pick<IncomingMessage, 'method' | 'headers'>,
  options: { checkHost: boolean; allowedHosts?: readonly string[] },
): string | undefined {
  if (request.method === 'OPTIONS') return 'CORS preflight refused: this local endpoint is not for web pages';
  const browserHeader = BROWSER_HEADERS.find((name) => request.headers[name] !== undefined);
  if (browserHeader) return `request from a web browser refused (${browserHeader} header): this local endpoint is not for web pages`;
  const host = request.headers.host;
  if (options.checkHost && host !== undefined && !isLoopbackHost(host, options.allowedHosts)) {
    return `Host "${host}" refused: this local endpoint answers only to localhost, 127.0.0.1 or [::1]`;
  }
  return undefined;
}

/**
 * Puts {@link browserRefusal} in front of a server's existing request listeners: refused
 * requests get 403 with the reason (and no CORS headers), the rest reach the server as before.
 * The listeners are replaced rather than prepended to, because every listener of an event runs:
 * a prepended check could answer 403 but not stop dynalite from answering as well.
 */
export function guardAgainstBrowsers(server: Server, options: { checkHost: boolean; allowedHosts?: readonly string[] }): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const refusal = browserRefusal(request, options);
    if (refusal === undefined) {
      for (const listener of listeners) listener.call(server, request, response);
      return;
    }
    // Discard the body unread; the 403 does not depend on it.
    request.resume();
    response.writeHead(403, { 'content-type': 'application/json', connection: 'close' });
    response.end(JSON.stringify({ error: refusal }));
  });
}
