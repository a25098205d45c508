import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { REDACTED } from '../../lib/deliveries/record.js';
import { Argument, type Command } from 'commander';
import type { CommandSetup } from '../command-setup.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { toJson } from '../format/table.js';
import { LOCAL_WEBHOOK_URL } from '../../lib/local/names.js';
import { splitCommaList } from '../../lib/config/comma-list.js';
import { isLoopbackUrl } from '../local-defaults.js';
import { flagOption, textOption } from '../options.js';
import { CLI_ENV } from '../resources.js';
import { freshenSample, loadSample, SAMPLE_KINDS, SAMPLES, withProject, type SampleKind } from '../samples.js';
import { warnTokenFlag } from '../secret-flags.js';
import { HTTPS_REQUIRED, isHttpsOrLoopback } from '../../lib/config/https.js';

/** The GitLab version the sample requests claim to come from (User-Agent `GitLab/<version>`). */
export const SAMPLE_GITLAB_VERSION = '18.6.0';

/** GitLab gives a webhook 10 s to answer (GitLab docs, "Webhook timeout"); the sample waits a little longer. */
export const SEND_TIMEOUT_MS = 15_000;

export interface SampleRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The request GitLab would send for the sample: its headers (event, token, a fresh
 * Idempotency-Key and event UUID, webhook UUID, instance, User-Agent) and, with a signing key,
 * the Standard Webhooks headers GitLab 18.x adds (`webhook-id` equal to the Idempotency-Key).
 */
export function buildSampleRequest(
  kind: SampleKind,
  payload: Record<string, unknown>,
  options: { url: string; token?: string; signingKey?: string; now: Date; webhookUuid?: string },
): SampleRequest {
  const body = JSON.stringify(payload);
  const project = payload.project as { web_url?: unknown } | undefined;
  let instance = 'https://gitlab.example.com';
  try {
    if (typeof project?.web_url === 'string') instance = new URL(project.web_url).origin;
  } catch {
    // keep the default: the sample's URL is not one
  }
  const idempotencyKey = randomUUID();
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': `GitLab/${SAMPLE_GITLAB_VERSION}`,
    'X-Gitlab-Event': SAMPLES[kind].event,
    'X-Gitlab-Instance': instance,
    'X-Gitlab-Webhook-UUID': options.webhookUuid ?? randomUUID(),
    'X-Gitlab-Event-UUID': randomUUID(),
    'Idempotency-Key': idempotencyKey,
  };
  if (options.token) headers['X-Gitlab-Token'] = options.token;
  if (options.signingKey) {
    const signer = new Webhook(options.signingKey);
    headers['webhook-id'] = idempotencyKey;
    headers['webhook-timestamp'] = String(Math.floor(options.now.getTime() / 1000));
    headers['webhook-signature'] = signer.sign(idempotencyKey, options.now, body);
  }
  return { url: options.url, headers, body };
}

/** Headers safe to print: the token and signature shown as GitLab's own event log shows them. */
export function printableHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = /^(x-gitlab-token|webhook-signature|authorization)$/i.test(name) ? REDACTED : value;
  }
  return out;
}

export interface SendSampleOptions {
  kind: string;
  url: string;
  token?: string;
  signingKey?: string;
  project?: string;
  keepIds: boolean;
  dryRun: boolean;
  json: boolean;
}

/** `send-sample KIND`: posts a realistic GitLab webhook to the bridge. */
export async function sendSampleCommand(context: CliContext, options: SendSampleOptions): Promise<ExitCode> {
  let payload = loadSample(options.kind);
  const kind = options.kind as SampleKind;
  if (!options.keepIds) payload = freshenSample(kind, payload);
  if (options.project) payload = withProject(payload, options.project);
  const request = buildSampleRequest(kind, payload, {
    url: options.url,
    ...(options.token ? { token: options.token } : {}),
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    now: context.now(),
  });
  if (options.dryRun) {
    const shown = { url: request.url, headers: printableHeaders(request.headers), payload };
    context.stdout.write(
      options.json
        ? toJson(shown)
        : `POST ${request.url}\n${Object.entries(shown.headers)
            .map(([name, value]) => `${name}: ${value}`)
            .join('\n')}\n\n${JSON.stringify(payload, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  let response: Response;
  let text: string;
  try {
    response = await context.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      // A redirect would re-send X-Gitlab-Token to wherever it points; GitLab does not follow them either.
      redirect: 'error',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const reason = timedOut
      ? `no answer within ${SEND_TIMEOUT_MS / 1000}s`
      : /redirect/i.test(cause?.message ?? '')
        ? 'it answered with a redirect, which is not followed'
        : (cause?.code ?? (error as Error).message);
    throw new CliError(`cannot reach ${request.url} (${reason})`, EXIT.failure, 'is the bridge running (npm start)? Pass its webhook URL with --url');
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: show it as text
  }
  const deliveryId =
    typeof body === 'object' && body !== null && typeof (body as { deliveryId?: unknown }).deliveryId === 'string'
      ? (body as { deliveryId: string }).deliveryId
      : undefined;
  if (options.json) {
    context.stdout.write(
      toJson({
        sample: kind,
        url: request.url,
        status: response.status,
        ...(deliveryId ? { deliveryId } : {}),
        response: body,
        idempotencyKey: request.headers['Idempotency-Key'],
      }),
    );
  } else {
    context.stdout.write(
      `Sent ${kind} (${SAMPLES[kind].about}) to ${request.url}: ${response.status} ${response.statusText} ${typeof body === 'string' ? body : JSON.stringify(body)}\n`,
    );
    if (deliveryId && response.ok) context.stdout.write(`Follow it with \`gitlab-bridge deliveries show ${deliveryId}\`.\n`);
  }
  if (response.ok) return EXIT.ok;
  if (response.status === 401) {
    if (!options.json)
      context.stderr.write('gitlab-bridge: the bridge rejected the token; pass the token it prints at start (--token or GITLAB_WEBHOOK_TOKEN)\n');
    return EXIT.auth;
  }
  return EXIT.failure;
}

const SEND_SAMPLE_OPTIONS = {
  url: textOption('--url <url>', `webhook URL (env ${CLI_ENV.webhookUrl}; default the local bridge, ${LOCAL_WEBHOOK_URL})`),
  token: textOption(
    '--token <token>',
    `X-Gitlab-Token to send (env ${CLI_ENV.webhookToken}; for a deployed bridge, default the first token of its GitLab secret)`,
  ),
  signingKey: textOption('--signing-key <whsec>', `also sign it like GitLab 18.x (env ${CLI_ENV.signingKey})`),
  project: textOption('-p, --project <path>', 'pretend it comes from this project (default flightjs/flight-management)'),
  keepIds: flagOption('--keep-ids', 'send the stored pipeline id / commit SHAs instead of fresh ones (a resend then changes nothing)'),
  dryRun: flagOption('--dry-run', 'print the request (token redacted) instead of sending it'),
  json: flagOption('--json', 'the result as JSON'),
};

/** `gitlab-bridge send-sample KIND` */
export function registerSendSample(program: Command, { context, resources, action }: CommandSetup): void {
  action(
    program
      .command('send-sample')
      .description("Post a realistic sample GitLab webhook (GitLab's headers, a fresh Idempotency-Key) to the bridge.")
      .addArgument(new Argument('<kind>', 'which sample').choices(SAMPLE_KINDS)),
    SEND_SAMPLE_OPTIONS,
    async (options, command) => {
      const [kind] = command.args as [string];
      const url = options.url || context.env[CLI_ENV.webhookUrl] || LOCAL_WEBHOOK_URL;
      // The sample carries the webhook token (or, unless --dry-run, the stack's real one).
      if (!isHttpsOrLoopback(url)) {
        throw new CliError(`webhook URL "${url}" ${HTTPS_REQUIRED}`, EXIT.usage, 'use the https:// address of the bridge (the stack output WebhookUrl)');
      }
      // The local bridge's token is a throwaway printed at start (the README's quickstart passes it as a flag).
      if (!isLoopbackUrl(url)) {
        if (options.token) warnTokenFlag(context, '--token', `${CLI_ENV.webhookToken} or the stack's GitLab secret`);
        if (options.signingKey) warnTokenFlag(context, '--signing-key', CLI_ENV.signingKey);
      }
      let token = options.token || splitCommaList(context.env[CLI_ENV.webhookToken])[0];
      let signingKey = options.signingKey || splitCommaList(context.env[CLI_ENV.signingKey])[0];
      if (!token && !options.dryRun) {
        if (isLoopbackUrl(url)) {
          throw new CliError('no webhook token', EXIT.auth, `pass the token the local bridge printed at start with --token, or set ${CLI_ENV.webhookToken}`);
        }
        const credentials = await resources(command).webhookCredentials({}, '--token', options.project);
        token = credentials.token;
        signingKey ??= credentials.signingKey;
      }
      return sendSampleCommand(context, {
        kind,
        url,
        ...(token ? { token } : {}),
        ...(signingKey ? { signingKey } : {}),
        ...(options.project ? { project: options.project } : {}),
        keepIds: options.keepIds,
        dryRun: options.dryRun,
        json: options.json,
      });
    },
  ).addHelpText('after', `\nSamples:\n${SAMPLE_KINDS.map((kind) => `  ${kind.padEnd(18)} ${SAMPLES[kind].about}`).join('\n')}`);
}
