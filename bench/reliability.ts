/**
 * `npm run bench:reliability`: the reliability figures of issue 9 ("Harden"), measured against the
 * local bridge (`npm start`'s startLocalBridge, in a child process: bench/reliability-bridge.ts)
 * with Slack, Teams and Jira pointed at the local stand-ins of test/support/:
 *
 * - hostile: >= 1,000 concurrent hostile requests -> 0 answers 5xx, 0 delivery records;
 * - duplicates: 20 deliveries, each sent 3 times at once with one Idempotency-Key -> 20 records, 1 Slack post each;
 * - faults: Slack 429 / 500 / dropped connections, Teams 500, Jira 503 during a run -> every effect exactly once;
 * - volume: 10,000 deliveries at 50 concurrent -> 10,000 records, none lost or doubled, and the rate.
 *
 * Prints a table and one PASS/FAIL line per scenario; exits 1 on any FAIL. Offline, everything on
 * loopback, temporary data removed at the end. Flags: `--volume <n>` (default 10000), `--concurrency <n>` (default 50),
 * `--only <scenario,...>`.
 */
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { splitCommaList } from '../lib/config/comma-list.js';
import { DELIVERY_PREFIX } from '../lib/deliveries/table.js';
import type { LocalBridge } from '../lib/local/bridge.js';
import { LOCAL_AWS } from '../lib/local/names.js';
import { mergeRequestEvent } from '../test/fixtures/builders/merge-request.js';
import { pipelineEvent } from '../test/fixtures/builders/pipeline.js';
import { pushEvent } from '../test/fixtures/builders/push.js';
import { gitlabHeaders } from '../test/support/gitlab-fixtures.js';
import { basicAuthorization, startJiraServer, type JiraTestServer } from '../test/support/jira-server.js';
import { startSlackServer, type SlackServer } from '../test/support/slack-server.js';
import { startTeamsServer, type TeamsServer } from '../test/support/teams-server.js';
import type { BridgeSettings } from './reliability-bridge.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const here = dirname(fileURLToPath(import.meta.url));

const { values: flags } = parseArgs({
  options: { volume: { type: 'string', default: '10000' }, only: { type: 'string' }, concurrency: { type: 'string', default: '50' } },
});
const VOLUME = Number(flags.volume);
const CONCURRENCY = Number(flags.concurrency);
const ONLY = flags.only ? new Set(splitCommaList(flags.only)) : undefined;

const GLOBAL_TOKEN = 'bench-global-token';
/** Valid for acme/secure only (a per-project entry), when the bridge takes the auth document. */
const SECURE_TOKEN = 'bench-secure-only-token';
const SECURE_PROJECT = 'acme/secure';
const AUTH_DOCUMENT = JSON.stringify({ tokens: [GLOBAL_TOKEN], projects: { [SECURE_PROJECT]: { tokens: [SECURE_TOKEN] } } });
const JIRA_EMAIL = 'bench@example.com';
const JIRA_API_TOKEN = 'bench-jira-token';
/** Short, so deliveries failed by an injected 5xx are retried within seconds (the default is 10 s). */
const RETRY_DELAY_SECONDS = 1;
const MAX_ATTEMPTS = 8;
/** Seconds the volume scenario watches the worker's backlog after intake (informational). */
const WORKER_WATCH_SECONDS = 10;
/** Seconds after intake the volume scenario waits at most for the worker to empty the queue. */
const DRAIN_WATCH_SECONDS = 120;

// ---------------------------------------------------------------------------------------------
// Results

interface Figure {
  name: string;
  value: string;
  target: string;
  ok: boolean | undefined;
}
interface ScenarioResult {
  name: string;
  figures: Figure[];
  notes: string[];
  seconds: number;
}
const figure = (name: string, value: number | string, target = '', ok?: boolean): Figure => ({ name, value: String(value), target, ok });

// ---------------------------------------------------------------------------------------------
// The bridge under test, in its own process

/** The endpoints the bridge process prints (the local bridge's own), and clients for them. */
interface RunningBridge extends Pick<LocalBridge, 'webhookUrl' | 'dynamoEndpoint' | 'sqsEndpoint' | 'tableName' | 'queueUrl' | 'dlqUrl'> {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  /** Lines the bridge wrote to stderr (its error log). */
  errors: string[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

async function startBridge(root: string, name: string, stands: Stands): Promise<RunningBridge> {
  const settings: BridgeSettings = {
    dataDir: join(root, name),
    tokens: [GLOBAL_TOKEN],
    webhookAuth: AUTH_DOCUMENT,
    env: {
      SLACK_BOT_TOKEN: stands.slack.token,
      SLACK_CHANNEL: '#ci',
      SLACK_API_URL: stands.slack.apiUrl,
      TEAMS_WEBHOOK_URL: stands.teams.webhookUrl('default'),
      JIRA_HOST: stands.jira.url,
      JIRA_EMAIL,
      JIRA_API_TOKEN,
    },
    retryDelaySeconds: RETRY_DELAY_SECONDS,
    maxAttempts: MAX_ATTEMPTS,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'reliability-bridge.ts')], {
    env: { ...process.env, BENCH_BRIDGE: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    const lines = stderr.split('\n');
    stderr = lines.pop() ?? '';
    errors.push(...lines.filter(Boolean));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoints = await new Promise<Omit<RunningBridge, 'dynamo' | 'sqs' | 'errors' | 'stop'>>((resolve, reject) => {
    let stdout = '';
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout?.off('data', onData);
      try {
        resolve(JSON.parse(stdout.slice(0, newline)) as Omit<RunningBridge, 'dynamo' | 'sqs' | 'errors' | 'stop'>);
      } catch (error) {
        reject(error as Error);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`the bridge exited before it listened: ${errors.join('\n')}`)));
  });
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: endpoints.dynamoEndpoint });
  const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: endpoints.sqsEndpoint });
  return {
    ...endpoints,
    dynamo,
    sqs,
    errors,
    stop: async () => {
      dynamo.destroy();
      sqs.destroy();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      children.delete(child);
    },
  };
}

/** Every delivery record in the table: id and status (a full scan, as an operator's count would be). */
async function scanDeliveries(bridge: RunningBridge): Promise<{ id: string; status: string }[]> {
  const out: { id: string; status: string }[] = [];
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await bridge.dynamo.send(
      new ScanCommand({
        TableName: bridge.tableName,
        FilterExpression: 'begins_with(pk, :d)',
        ExpressionAttributeValues: { ':d': { S: DELIVERY_PREFIX } },
        ProjectionExpression: 'pk, #s',
        ExpressionAttributeNames: { '#s': 'status' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) out.push({ id: (item.pk?.S ?? '').slice(DELIVERY_PREFIX.length), status: item.status?.S ?? '' });
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

async function queueDepth(bridge: RunningBridge, url: string): Promise<number> {
  const attributes = await bridge.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Waits until no delivery is queued or processing and the queue is empty; returns the seconds it took, or undefined on timeout. */
async function drain(bridge: RunningBridge, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const open = (await scanDeliveries(bridge)).filter((delivery) => delivery.status === 'queued' || delivery.status === 'processing');
    if (open.length === 0 && (await queueDepth(bridge, bridge.queueUrl)) === 0) return (Date.now() - started) / 1000;
    await sleep(250);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HTTP clients

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** A status code, or `null` when the connection ended without an answer. */
type Answer = number | null;

/** A valid delivery over fetch (keep-alive), as GitLab sends it. */
async function deliver(url: string, event: string, payload: unknown, idempotencyKey: string, token = GLOBAL_TOKEN): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: gitlabHeaders(event, token, { 'idempotency-key': idempotencyKey }),
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/** One request written byte for byte on a fresh socket (what fetch refuses to send), answered by its status line. */
interface RawRequest {
  label: string;
  method?: string;
  path?: string;
  /** Header lines after Host; values written as UTF-8 bytes, unvalidated. */
  headers: [string, string][];
  body?: Buffer | string;
  /** Leave out Content-Length (the request sets its own framing). */
  noLength?: boolean;
}

function rawRequest(url: URL, request: RawRequest, timeoutMs = 20_000): Promise<Answer> {
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? Buffer.alloc(0));
  const head =
    `${request.method ?? 'POST'} ${request.path ?? url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n` +
    request.headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    (request.noLength ? '' : `Content-Length: ${body.byteLength}\r\n`) +
    '\r\n';
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let settled = false;
    const finish = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
      else if (received.includes('\r\n')) finish(null);
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body]));
  });
}

// ---------------------------------------------------------------------------------------------
// Stand-ins

interface Stands {
  slack: SlackServer;
  teams: TeamsServer;
  jira: JiraTestServer;
}

async function startStands(): Promise<Stands> {
  return {
    slack: await startSlackServer(),
    teams: await startTeamsServer(),
    jira: await startJiraServer({ expectedAuthorization: basicAuthorization(JIRA_EMAIL, JIRA_API_TOKEN) }),
  };
}

function resetStands(stands: Stands): void {
  stands.slack.reset();
  stands.teams.reset();
  stands.jira.reset();
}

// ---------------------------------------------------------------------------------------------
// Scenario: hostile requests

/**
 * Whether the bridge took the per-project auth document: a payload of acme/secure carrying the
 * global token is refused (401) if so; without the document it passes authentication and stops
 * at the missing X-Gitlab-Event header (400). Either way nothing is recorded.
 */
async function perProjectAuthActive(bridge: RunningBridge): Promise<boolean> {
  const payload = JSON.stringify(mergeRequestEvent({ projectPath: SECURE_PROJECT }));
  const status = await rawRequest(new URL(bridge.webhookUrl), {
    label: 'probe',
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Gitlab-Token', GLOBAL_TOKEN],
    ],
    body: payload,
  });
  return status === 401;
}

/** The hostile request set: every one must be refused with a 4xx and leave no record. */
function hostileRequests(perProject: boolean): RawRequest[] {
  const valid = JSON.stringify(mergeRequestEvent({ iid: 4242, title: 'hostile' }));
  const json = [['Content-Type', 'application/json']] as [string, string][];
  const gitlab = (token: string | undefined, extra: [string, string][] = []): [string, string][] => [
    ...json,
    ['X-Gitlab-Event', 'Merge Request Hook'],
    ['Idempotency-Key', `hostile-${Math.random().toString(36).slice(2)}`],
    ...(token === undefined ? [] : ([['X-Gitlab-Token', token]] as [string, string][])),
    ...extra,
  ];
  const requests: RawRequest[] = [];
  const add = (request: RawRequest) => requests.push(request);

  // Tokens: none, wrong, empty, very long, unicode, control characters, smuggling attempts.
  const badTokens: [string, string | undefined][] = [
    ['no token', undefined],
    ['wrong token', 'not-the-token'],
    ['empty token', ''],
    ['token prefix', GLOBAL_TOKEN.slice(0, -1)],
    ['token upper-cased', GLOBAL_TOKEN.toUpperCase()],
    ['token + suffix', `${GLOBAL_TOKEN}x`],
    ['64 KiB token', 'a'.repeat(64 * 1024)],
    ['7 KiB token', 't'.repeat(7 * 1024)],
    ['unicode token', 'тоkén-🔑-\u202e-\u200b'],
    ['unicode lookalike of the token', GLOBAL_TOKEN.replace('e', '\u0435')],
    ['token with NUL', `${GLOBAL_TOKEN}\u0000`],
    ['token with control chars', `\u0001\u0007${GLOBAL_TOKEN}\u007f`],
    ['token with tab', `${GLOBAL_TOKEN}\tx`],
    ['header injection in token', `x\r\nX-Gitlab-Token: ${GLOBAL_TOKEN}`],
    ['per-project token for another project', SECURE_TOKEN],
  ];
  for (const [label, token] of badTokens) add({ label, headers: gitlab(token), body: valid });
  add({
    label: 'two tokens, one valid',
    headers: [...gitlab('wrong'), ['X-Gitlab-Token', GLOBAL_TOKEN]],
    body: valid,
  });
  add({
    label: 'bad signature, no token',
    headers: gitlab(undefined, [
      ['webhook-id', 'msg_1'],
      ['webhook-timestamp', '1'],
      ['webhook-signature', 'v1,AAAA'],
    ]),
    body: valid,
  });

  // Bodies with a valid token that must still be refused (no record).
  const badBodies: [string, Buffer | string][] = [
    ['empty body', ''],
    ['truncated JSON', valid.slice(0, valid.length / 2)],
    ['not JSON', 'object_kind=merge_request'],
    ['JSON array', '[]'],
    ['JSON string', '"merge_request"'],
    ['JSON number', '42'],
    ['JSON null', 'null'],
    ['BOM before JSON', `\ufeff${valid}`],
    ['trailing garbage', `${valid}}`],
    ['100k levels of [ (closed)', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['100k levels of [ (open)', '['.repeat(100_000)],
    ['100k levels of {"a": (open)', '{"a":'.repeat(100_000)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x31])],
    ['lone surrogate bytes', Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22])],
  ];
  for (const [label, body] of badBodies) add({ label, headers: gitlab(GLOBAL_TOKEN), body });
  add({ label: '6 MB body', headers: gitlab(GLOBAL_TOKEN), body: `{"object_kind":"push","x":"${'x'.repeat(6 * 1024 * 1024)}"}` });
  add({ label: '6 MB body, no token', headers: gitlab(undefined), body: `{"x":"${'y'.repeat(6 * 1024 * 1024)}"}` });

  // Headers and methods with a valid token: still refused.
  for (const contentType of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
    'application/json-patch+json',
    '',
  ]) {
    add({
      label: `Content-Type "${contentType}"`,
      headers: [
        ['Content-Type', contentType],
        ['X-Gitlab-Event', 'Merge Request Hook'],
        ['X-Gitlab-Token', GLOBAL_TOKEN],
      ],
      body: valid,
    });
  }
  add({
    label: 'no Content-Type',
    headers: [
      ['X-Gitlab-Event', 'Merge Request Hook'],
      ['X-Gitlab-Token', GLOBAL_TOKEN],
    ],
    body: valid,
  });
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND'])
    add({ label: `method ${method}`, method, headers: gitlab(GLOBAL_TOKEN), body: valid });
  for (const path of [
    '/webhooks/GITLAB',
    '/webhooks/gitlab/../../etc/passwd',
    '/webhooks/gitlab%00',
    '/%ZZ',
    '/webhooks/gitlab/x',
    '//webhooks//gitlab',
    '*',
  ]) {
    add({ label: `path ${path}`, path, headers: gitlab(GLOBAL_TOKEN), body: valid });
  }
  add({ label: 'no X-Gitlab-Event', headers: [...json, ['X-Gitlab-Token', GLOBAL_TOKEN]], body: valid });
  for (const key of ['x'.repeat(500), '../../etc/passwd', 'ключ-🔑', 'a b', 'a/b', '']) {
    add({
      label: `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`,
      headers: [...json, ['X-Gitlab-Event', 'Merge Request Hook'], ['X-Gitlab-Token', GLOBAL_TOKEN], ['Idempotency-Key', key]],
      body: valid,
    });
  }

  // Odd unicode in headers and bodies (no valid token: a valid one would make them real deliveries).
  const oddStrings = ['\u202eevil\u202c', 'zero\u200bwidth', '🔥'.repeat(500), '\u0000nul', 'e\u0301\u0301\u0301', '\ud800', '\uffff\ufffe', 'ǅ𝔘𝔫𝔦𝔠𝔬𝔡𝔢'];
  for (const odd of oddStrings) {
    const payload = JSON.parse(valid) as Record<string, unknown>;
    payload.object_kind = odd;
    (payload.project as Record<string, unknown>).path_with_namespace = odd;
    add({ label: `odd unicode body ${JSON.stringify(odd.slice(0, 6))}`, headers: gitlab('wrong'), body: JSON.stringify(payload) });
    add({
      label: `odd unicode event header ${JSON.stringify(odd.slice(0, 6))}`,
      headers: [...json, ['X-Gitlab-Event', odd], ['X-Gitlab-Token', 'wrong']],
      body: valid,
    });
    add({ label: `odd unicode token ${JSON.stringify(odd.slice(0, 6))}`, headers: gitlab(odd), body: valid });
  }
  add({ label: 'unicode header name', headers: [...gitlab('wrong'), ['X-Gitlab-Tökén', GLOBAL_TOKEN]], body: valid });
  add({ label: 'header without colon', headers: [...gitlab('wrong'), ['X-Broken\r\nno colon here', 'x']], body: valid });

  // Framing tricks.
  add({ label: 'chunked with bad size', noLength: true, headers: [...gitlab(GLOBAL_TOKEN), ['Transfer-Encoding', 'chunked']], body: 'zz\r\n{}\r\n0\r\n\r\n' });
  add({ label: 'Content-Length and chunked', headers: [...gitlab(GLOBAL_TOKEN), ['Transfer-Encoding', 'chunked']], body: '0\r\n\r\n' });
  add({ label: 'negative Content-Length', noLength: true, headers: [...gitlab(GLOBAL_TOKEN), ['Content-Length', '-1']], body: '' });

  // Project paths that are JavaScript object keys, or another spelling of a project with its own entry.
  const pathsAsKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf', '__proto__/x'];
  const spellings = ['ACME/Secure', 'Acme/Secure', 'acme/SECURE', ' acme/secure', 'acme/secure '];
  for (const path of [...pathsAsKeys, ...spellings]) {
    for (const build of [(p: string) => mergeRequestEvent({ projectPath: p, iid: 77 }), (p: string) => pipelineEvent({ projectPath: p, id: 77 })]) {
      const body = JSON.stringify(build(path));
      const event = body.includes('"object_kind":"pipeline"') ? 'Pipeline Hook' : 'Merge Request Hook';
      const headers = (token: string | undefined) =>
        gitlab(token).map(([name, value]) => [name, name === 'X-Gitlab-Event' ? event : value] as [string, string]);
      add({ label: `project "${path}", no token`, headers: headers(undefined), body });
      add({ label: `project "${path}", wrong token`, headers: headers('wrong'), body });
      // GitLab paths are case-insensitive: another spelling of acme/secure is acme/secure, so its own
      // token is valid there and only the global token is hostile; for the other paths it is the
      // other way round (acme/secure's token is valid for acme/secure only).
      if (spellings.includes(path)) {
        if (perProject) add({ label: `project "${path}", global token`, headers: headers(GLOBAL_TOKEN), body });
      } else {
        add({ label: `project "${path}", acme/secure's token`, headers: headers(SECURE_TOKEN), body });
      }
    }
  }
  return requests;
}

async function hostileScenario(root: string, stands: Stands): Promise<ScenarioResult> {
  resetStands(stands);
  const bridge = await startBridge(root, 'hostile', stands);
  const started = Date.now();
  try {
    const perProject = await perProjectAuthActive(bridge);
    const set = hostileRequests(perProject);
    // Repeat the set (the 6 MB bodies fewer times: they measure one thing and cost 12 MB each) to >= 1,000.
    const heavy = (request: RawRequest) => (request.body?.length ?? 0) > 1024 * 1024;
    const light = set.filter((request) => !heavy(request));
    const all = [...set];
    while (all.length < 1000) all.push(...light);
    const url = new URL(bridge.webhookUrl);
    const answers = await pool(all.length, CONCURRENCY, (index) => rawRequest(url, all[index] as RawRequest));
    const byStatus = new Map<string, number>();
    const fiveHundreds = new Map<string, number>();
    let noAnswer = 0;
    answers.forEach((answer, index) => {
      const key = answer === null ? 'none' : String(answer);
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
      if (answer === null) noAnswer++;
      if (answer !== null && answer >= 500) {
        const label = (all[index] as RawRequest).label;
        fiveHundreds.set(label, (fiveHundreds.get(label) ?? 0) + 1);
      }
    });
    // Give anything the receiver might have queued a moment to land before counting.
    await sleep(1000);
    const records = await scanDeliveries(bridge);
    const served = answers.filter((answer) => answer !== null && answer >= 500).length;
    const accepted = answers.filter((answer) => answer !== null && answer < 400).length;
    const notes = [
      `${set.length} distinct requests; per-project auth document ${perProject ? 'in effect (acme/secure has its own token)' : 'NOT in effect'}`,
      `answers: ${[...byStatus.entries()]
        .sort()
        .map(([status, count]) => `${status} x${count}`)
        .join(', ')}`,
    ];
    const acceptedLabels = new Set(answers.flatMap((answer, index) => (answer !== null && answer < 400 ? [(all[index] as RawRequest).label] : [])));
    if (acceptedLabels.size > 0) notes.push(`accepted: ${[...acceptedLabels].join('; ')}`);
    if (fiveHundreds.size > 0) notes.push(`5xx for: ${[...fiveHundreds.entries()].map(([label, count]) => `${label} (x${count})`).join('; ')}`);
    if (records.length > 0) notes.push(`records created: ${records.map((record) => record.id).join(', ')}`);
    if (bridge.errors.length > 0) notes.push(`bridge stderr: ${bridge.errors.length} lines, first: ${bridge.errors[0]?.slice(0, 200)}`);
    return {
      name: 'hostile',
      figures: [
        figure('hostile requests sent', all.length, '>= 1000', all.length >= 1000),
        figure('per-project auth in effect', perProject ? 1 : 0, '1', perProject),
        figure('answers 5xx', served, '0', served === 0),
        figure('answers 2xx/3xx', accepted, '0', accepted === 0),
        figure('no answer (connection closed)', noAnswer, '', undefined),
        figure('delivery records', records.length, '0', records.length === 0),
      ],
      notes,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await bridge.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: duplicates

async function duplicatesScenario(root: string, stands: Stands): Promise<ScenarioResult> {
  resetStands(stands);
  const bridge = await startBridge(root, 'duplicates', stands);
  const started = Date.now();
  const count = 20;
  try {
    const deliveries = Array.from({ length: count }, (_, i) => ({
      key: `dup-${i + 1}-${Date.now()}`,
      title: `Reliability duplicate ${String(i + 1).padStart(2, '0')}`,
      payload: JSON.stringify(mergeRequestEvent({ iid: 500 + i, title: `Reliability duplicate ${String(i + 1).padStart(2, '0')}` })),
    }));
    // All 60 at once: each delivery's three copies race each other.
    const answers = await Promise.all(
      deliveries.flatMap((delivery) => [0, 1, 2].map(() => deliver(bridge.webhookUrl, 'Merge Request Hook', delivery.payload, delivery.key))),
    );
    const drained = await drain(bridge, 60_000);
    const records = await scanDeliveries(bridge);
    const postsPer = deliveries.map((delivery) => stands.slack.messages.filter((message) => message.text.includes(delivery.title)).length);
    const teamsPer = deliveries.map((delivery) => stands.teams.posts.filter((post) => post.raw.includes(delivery.title)).length);
    const failed = answers.filter((answer) => answer === null || answer >= 500).length;
    const done = records.filter((record) => record.status === 'done').length;
    const slackOnce = postsPer.every((n) => n === 1);
    return {
      name: 'duplicates',
      figures: [
        figure('deliveries x copies sent at once', `${count} x 3`, '', undefined),
        figure('answers 5xx or none', failed, '0', failed === 0),
        figure('delivery records', records.length, String(count), records.length === count),
        figure('records done', done, String(count), done === count),
        figure('Slack posts (chat.postMessage stored)', stands.slack.messages.length, String(count), stands.slack.messages.length === count),
        figure('deliveries with exactly 1 Slack post', postsPer.filter((n) => n === 1).length, String(count), slackOnce),
        figure(
          'deliveries with exactly 1 Teams post',
          teamsPer.filter((n) => n === 1).length,
          String(count),
          teamsPer.every((n) => n === 1),
        ),
      ],
      notes: [
        `answers: ${summarizeAnswers(answers)}; queue drained ${drained === undefined ? 'NOT within 60 s' : `in ${drained.toFixed(1)} s`}`,
        ...(slackOnce ? [] : [`Slack posts per delivery: ${postsPer.join(' ')}`]),
      ],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await bridge.stop();
  }
}

function summarizeAnswers(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(String(answer ?? 'none'), (counts.get(String(answer ?? 'none')) ?? 0) + 1);
  return [...counts.entries()]
    .sort()
    .map(([status, n]) => `${status} x${n}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// Scenario: downstream faults

/** Faults queued at the stand-ins; each round is queued twice: before the run and half-way through. */
function injectFaults(stands: Stands): { slack: number; teams: number; jira: number } {
  const slack = stands.slack;
  slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, 2);
  // WebClient retries a 500 and a dropped connection itself (twice): three in a row fail the attempt.
  slack.failNext('chat.postMessage', { status: 500 }, 3);
  slack.failNext('chat.postMessage', { drop: true }, 3);
  stands.teams.failNext({ status: 500 }, 3);
  stands.jira.fail('POST', /\/comment$/, { status: 503, times: 3 });
  return { slack: 8, teams: 3, jira: 3 };
}

async function faultsScenario(root: string, stands: Stands): Promise<ScenarioResult> {
  resetStands(stands);
  const bridge = await startBridge(root, 'faults', stands);
  const started = Date.now();
  const perKind = 15;
  try {
    const stamp = Date.now();
    const mergeRequests = Array.from({ length: perKind }, (_, i) => ({
      key: `faults-mr-${i + 1}-${stamp}`,
      title: `Reliability fault ${String(i + 1).padStart(2, '0')}`,
      event: 'Merge Request Hook',
      payload: mergeRequestEvent({ iid: 600 + i, title: `Reliability fault ${String(i + 1).padStart(2, '0')}` }),
    }));
    const issues = Array.from({ length: perKind }, (_, i) => `REL-${i + 1}`);
    for (const issue of issues) stands.jira.addIssue(issue);
    const pushes = issues.map((issue, i) => ({
      key: `faults-push-${i + 1}-${stamp}`,
      event: 'Push Hook',
      payload: pushEvent({ commits: [{ message: `${issue} #comment reliability run ${stamp}` }] }),
    }));
    const all = mergeRequests.flatMap((mr, i) => [mr, pushes[i] as (typeof pushes)[number]]);
    const injected = { slack: 0, teams: 0, jira: 0 };
    const add = (round: { slack: number; teams: number; jira: number }) => {
      injected.slack += round.slack;
      injected.teams += round.teams;
      injected.jira += round.jira;
    };
    add(injectFaults(stands));
    const half = all.length / 2;
    const first = await pool(half, 10, (index) => deliver(bridge.webhookUrl, all[index]!.event, all[index]!.payload, all[index]!.key));
    await sleep(500);
    add(injectFaults(stands));
    const second = await pool(all.length - half, 10, (index) =>
      deliver(bridge.webhookUrl, all[half + index]!.event, all[half + index]!.payload, all[half + index]!.key),
    );
    const answers = [...first, ...second];
    const drained = await drain(bridge, 90_000);
    const records = await scanDeliveries(bridge);
    const slackPer = mergeRequests.map((mr) => stands.slack.messages.filter((message) => message.text.includes(mr.title)).length);
    const teamsPer = mergeRequests.map((mr) => stands.teams.posts.filter((post) => post.raw.includes(mr.title)).length);
    const jiraPer = issues.map((issue) => stands.jira.comments.get(issue)?.length ?? 0);
    const slackCalls = stands.slack.calls.filter((call) => call.method === 'chat.postMessage').length;
    const jiraCommentCalls = stands.jira.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/comment')).length;
    // A fault that never fired proves nothing: every injected one must have answered a request.
    const fired = {
      slack: slackCalls - stands.slack.messages.length,
      teams: injected.teams - stands.teams.pendingFailures(),
      jira: jiraCommentCalls - [...stands.jira.comments.values()].reduce((sum, comments) => sum + comments.length, 0),
    };
    const allFired = fired.slack === injected.slack && fired.teams === injected.teams && fired.jira === injected.jira;
    const dlq = await queueDepth(bridge, bridge.dlqUrl);
    const done = records.filter((record) => record.status === 'done').length;
    const once = (counts: number[]) =>
      `${counts.filter((n) => n === 1).length}/${counts.length} once, ${counts.filter((n) => n === 0).length} missing, ${counts.filter((n) => n > 1).length} doubled`;
    const exactlyOnce = (counts: number[]) => counts.every((n) => n === 1);
    const failedAnswers = answers.filter((answer) => answer === null || answer >= 500).length;
    return {
      name: 'faults',
      figures: [
        figure('deliveries (MR opened -> Slack + Teams; push -> Jira comment)', all.length, '', undefined),
        figure('answers 5xx or none', failedAnswers, '0', failedAnswers === 0),
        figure(
          'faults fired / injected: Slack (429, 500, drop), Teams 500, Jira 503',
          `${fired.slack}/${injected.slack}, ${fired.teams}/${injected.teams}, ${fired.jira}/${injected.jira}`,
          'all fired',
          allFired,
        ),
        figure('Slack notices', once(slackPer), 'each once', exactlyOnce(slackPer)),
        figure('Teams cards', once(teamsPer), 'each once', exactlyOnce(teamsPer)),
        figure('Jira comments', once(jiraPer), 'each once', exactlyOnce(jiraPer)),
        figure('records done / dead-lettered', `${done} / ${dlq}`, `${all.length} / 0`, done === all.length && dlq === 0),
      ],
      notes: [
        `queue drained ${drained === undefined ? 'NOT within 90 s' : `in ${drained.toFixed(1)} s`}; requests at the stand-ins: ${slackCalls} chat.postMessage, ${jiraCommentCalls} Jira comment POSTs`,
        ...(bridge.errors.length > 0 ? [`bridge stderr: ${bridge.errors.length} lines, first: ${bridge.errors[0]?.slice(0, 200)}`] : []),
      ],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await bridge.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: volume

async function volumeScenario(root: string, stands: Stands): Promise<ScenarioResult> {
  resetStands(stands);
  const bridge = await startBridge(root, 'volume', stands);
  try {
    // A running pipeline on a feature branch: recorded and queued like any pipeline, and the
    // worker finds nothing to send (zero-config routes watch failures on the default branch).
    const template = pipelineEvent({ status: 'running', ref: 'feature/volume', id: 1 });
    const attributes = template.object_attributes as Record<string, unknown>;
    const stamp = Date.now();
    const keyOf = (index: number) => `vol-${stamp}-${index}`;
    const started = Date.now();
    const answers = await pool(VOLUME, CONCURRENCY, (index) => {
      attributes.id = 100_000 + index;
      return deliver(bridge.webhookUrl, 'Pipeline Hook', JSON.stringify(template), keyOf(index));
    });
    const seconds = (Date.now() - started) / 1000;
    const records = await scanDeliveries(bridge);
    const ids = records.map((record) => record.id);
    const unique = new Set(ids);
    const accepted = answers.filter((answer) => answer === 202).length;
    const sent = new Set(Array.from({ length: VOLUME }, (_, i) => keyOf(i)));
    const lost = [...sent].filter((id) => !unique.has(id)).length;
    const extra = [...unique].filter((id) => !sent.has(id)).length;
    const doubled = ids.length - unique.size;
    const failed = answers.filter((answer) => answer === null || answer >= 500).length;
    // The worker runs alongside; how fast it works through the backlog once intake stops.
    const backlog = await queueDepth(bridge, bridge.queueUrl);
    await sleep(WORKER_WATCH_SECONDS * 1000);
    const left = await queueDepth(bridge, bridge.queueUrl);
    // Drain rate: deliveries the worker took off the queue per second, from the first send until
    // the queue is empty (or the watch ends), against the rate the receiver accepted them.
    let remaining = left;
    while (remaining > 0 && Date.now() - started < (seconds + DRAIN_WATCH_SECONDS) * 1000) {
      await sleep(250);
      remaining = await queueDepth(bridge, bridge.queueUrl);
    }
    const drainSeconds = (Date.now() - started) / 1000;
    const drainRate = (VOLUME - remaining) / drainSeconds;
    const acceptRate = accepted / seconds;
    const drainRatio = drainRate / acceptRate;
    return {
      name: 'volume',
      figures: [
        figure('deliveries sent (concurrency)', `${VOLUME} (${CONCURRENCY})`, '', undefined),
        figure('answered 202', accepted, String(VOLUME), accepted === VOLUME),
        figure('answers 5xx or none', failed, '0', failed === 0),
        figure('delivery records (unique ids)', `${ids.length} (${unique.size})`, String(VOLUME), ids.length === VOLUME && unique.size === VOLUME),
        figure('lost / doubled / unexpected', `${lost} / ${doubled} / ${extra}`, '0 / 0 / 0', lost === 0 && doubled === 0 && extra === 0),
        figure('accepted per second', (accepted / seconds).toFixed(0), '', undefined),
        figure('time to accept all', `${seconds.toFixed(1)} s`, '', undefined),
        figure('worker drained per second', `${drainRate.toFixed(0)} (${remaining} left after ${drainSeconds.toFixed(1)} s)`, '', undefined),
        figure('worker drain vs accept rate', drainRatio.toFixed(2), '>= 0.50', drainRatio >= 0.5),
      ],
      notes: [
        `answers: ${summarizeAnswers(answers)}`,
        `worker (informational): ${VOLUME - backlog} of ${VOLUME} processed during intake; then ${backlog - left} in ${WORKER_WATCH_SECONDS} s (${((backlog - left) / WORKER_WATCH_SECONDS).toFixed(1)}/s) with ${left} still queued`,
      ],
      seconds,
    };
  } finally {
    await bridge.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function printTable(results: ScenarioResult[]): void {
  const rows = results.flatMap((result) => result.figures.map((f) => [result.name, f.name, f.value, f.target, f.ok === undefined ? '' : f.ok ? 'ok' : 'FAIL']));
  const header = ['scenario', 'figure', 'value', 'target', ''];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const result of results) for (const note of result.notes) console.log(`${result.name}: ${note}`);
  console.log('');
}

async function main(): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'bridge-reliability-'));
  const stands = await startStands();
  const scenarios: [string, (root: string, stands: Stands) => Promise<ScenarioResult>][] = [
    ['hostile', hostileScenario],
    ['duplicates', duplicatesScenario],
    ['faults', faultsScenario],
    ['volume', volumeScenario],
  ];
  const results: ScenarioResult[] = [];
  const crashed: string[] = [];
  const cleanup = async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([stands.slack.close(), stands.teams.close(), stands.jira.close()]);
    rmSync(root, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const total = Date.now();
  try {
    for (const [name, run] of scenarios) {
      if (ONLY && !ONLY.has(name)) continue;
      process.stderr.write(`running ${name}...\n`);
      try {
        const result = await run(root, stands);
        process.stderr.write(`  ${name}: ${result.seconds.toFixed(1)} s\n`);
        results.push(result);
      } catch (error) {
        crashed.push(`${name}: ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    await cleanup();
  }
  console.log(`\nReliability bench (issue 9), ${((Date.now() - total) / 1000).toFixed(0)} s in total\n`);
  printTable(results);
  let failed = false;
  for (const result of results) {
    const bad = result.figures.filter((f) => f.ok === false);
    failed ||= bad.length > 0;
    console.log(
      `${bad.length === 0 ? 'PASS' : 'FAIL'} ${result.name}${bad.length > 0 ? `: ${bad.map((f) => `${f.name} = ${f.value} (target ${f.target})`).join('; ')}` : ''}`,
    );
  }
  for (const crash of crashed) console.log(`FAIL ${crash}`);
  return failed || crashed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
