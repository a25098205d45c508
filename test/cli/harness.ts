import { createAwsClients, type CliContext } from '../../cli/context.js';
import { runCli } from '../../cli/program.js';
import type { DeliveryStore, NewDelivery } from '../../lib/deliveries/store.js';
import type { ActionOutcome, DeliveryStatus } from '../../lib/deliveries/record.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A context whose output is captured; AWS clients built from `env` like the real process. */
export function captureContext(env: Record<string, string | undefined>, options: { tty?: boolean; now?: () => Date; stdin?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const context: CliContext = {
    env,
    stdout: { write: (text) => void (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text) => void (stderr += text), isTTY: options.tty ?? false },
    aws: createAwsClients(env),
    fetch: globalThis.fetch,
    readStdin: async () => options.stdin ?? '',
    now: options.now ?? (() => new Date()),
    // Polling loops wait for real but briefly: the peers are local.
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
  };
  return { context, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `gitlab-bridge <argv>` in-process. */
export async function cli(
  env: Record<string, string | undefined>,
  argv: string[],
  options: { tty?: boolean; now?: () => Date; stdin?: string } = {},
): Promise<CliRun> {
  const captured = captureContext(env, options);
  const code = await runCli(argv, captured.context);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** Environment that points the CLI at local dynalite / SQS, with no AWS credentials of its own. */
export function localEnv(endpoints: { dynamo?: string; sqs?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(endpoints.dynamo ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamo } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    ...extra,
  };
}

let counter = 0;

/** A delivery as the receiver writes it, with overridable fields. */
export function newDelivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
  counter++;
  const payload = {
    object_kind: 'pipeline',
    object_attributes: { id: 1000 + counter, status: 'failed', ref: 'main' },
    project: { id: 2, path_with_namespace: 'flightjs/flight-management' },
  };
  return {
    id: `delivery-${String(counter).padStart(4, '0')}-${Math.random().toString(36).slice(2, 8)}`,
    receivedAt: new Date(Date.UTC(2026, 0, 16, 9, 0, counter)).toISOString(),
    event: 'Pipeline Hook',
    objectKind: 'pipeline',
    projectId: 2,
    projectPath: 'flightjs/flight-management',
    ref: 'main',
    status: 'queued',
    expiresAt: Math.floor(Date.UTC(2026, 1, 15) / 1000),
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': '[REDACTED]', 'idempotency-key': 'k' },
    payload: JSON.stringify(payload),
    ...overrides,
  };
}

export function outcome(overrides: Partial<ActionOutcome> = {}): ActionOutcome {
  return {
    key: 'teams:default:pipeline:1:failed',
    kind: 'teams',
    target: 'default',
    summary: 'pipeline failed notice',
    status: 'sent',
    attempts: 1,
    at: '2026-01-16T09:00:30.000Z',
    ...overrides,
  };
}

/** Writes a delivery and, unless it stays queued, records an attempt that left it in `status`. */
export async function seed(
  store: DeliveryStore,
  status: DeliveryStatus,
  overrides: Partial<NewDelivery> = {},
  outcomes: ActionOutcome[] = [],
  statusReason?: string,
): Promise<NewDelivery> {
  const delivery = newDelivery({ ...overrides, status: status === 'ignored' ? 'ignored' : 'queued' });
  await store.create(delivery);
  if (status !== 'queued' && status !== 'ignored') {
    await store.finishAttempt(delivery.id, { status, outcomes, attempts: 1, ...(statusReason ? { statusReason } : {}) });
  }
  return delivery;
}
