import { createHash } from 'node:crypto';
import { storedHeaders } from '../deliveries/record.js';
import type { DeliveryStore } from '../deliveries/store.js';
import { DEFAULTS } from '../defaults.js';
import type { BridgeLogger } from '../logger.js';
import type { DeliveryQueue } from '../queue/queue.js';
import { decodeRetryValue, readInteraction, SLACK_ACTION_EVENT, SLACK_ACTION_KIND } from '../slack/interaction.js';
import { verifySlackSignature } from '../slack/verify-signature.js';
import type { WebhookRequest, WebhookResponse } from './handle-webhook.js';

export interface SlackInteractionDeps {
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
  /** The Slack app's signing secrets (two during a rotation; cached by the caller). None: every request is refused. */
  signingSecrets: () => Promise<readonly string[]>;
  now?: () => Date;
  retentionDays?: number;
  metrics?: { count(name: 'slackRejected' | 'received' | 'duplicate' | 'failed'): void };
  log?: BridgeLogger;
}

/** Slack's interaction payloads are small; a click on a notice is a few KB (the message's blocks). */
const MAX_INTERACTION_BYTES = 64 * 1024;

/**
 * `POST /slack/interactions`: verifies Slack's signature on the raw bytes first (401 and a
 * metric otherwise, nothing parsed or written), then records a click on the retry button as a
 * `slack_action` delivery and queues it: Slack wants an answer within 3 seconds, the worker
 * does the work. Clicks on link buttons are answered 200 and not recorded.
 */
export async function handleSlackInteraction(request: WebhookRequest, deps: SlackInteractionDeps): Promise<WebhookResponse> {
  const now = (deps.now ?? (() => new Date()))();
  if (request.method.toUpperCase() !== 'POST') return { statusCode: 405, body: { error: 'use POST' } };
  if (request.body.byteLength > MAX_INTERACTION_BYTES) return { statusCode: 413, body: { error: 'body too large' } };

  const check = verifySlackSignature(
    { timestamp: request.headers['x-slack-request-timestamp'], signature: request.headers['x-slack-signature'], body: request.body },
    await deps.signingSecrets(),
    { nowSeconds: Math.floor(now.getTime() / 1000) },
  );
  if (!check.ok) {
    deps.metrics?.count('slackRejected');
    deps.log?.warn('slack interaction rejected', { reason: check.reason });
    return { statusCode: 401, body: { error: 'unauthorized: invalid or missing Slack signature' } };
  }

  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') return { statusCode: 400, body: { error: 'expected a form-encoded body' } };
  const text = Buffer.from(request.body).toString('utf8');
  const payloadText = new URLSearchParams(text).get('payload');
  if (payloadText === null) return { statusCode: 400, body: { error: 'missing payload field' } };
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    return { statusCode: 400, body: { error: 'payload is not valid JSON' } };
  }
  const read = readInteraction(payload);
  if ('invalid' in read) return { statusCode: 400, body: { error: read.invalid } };
  // Link buttons (View pipeline, View failures) also post here: Slack expects a 2xx.
  if ('link' in read) return { statusCode: 200, body: {} };
  const value = decodeRetryValue(read.interaction.action.value);
  if (!value) return { statusCode: 400, body: { error: 'retry button value is not one the bridge wrote' } };

  // Slack resends an interaction it got no 2xx for with the same body: the same delivery.
  const id = `slack-${createHash('sha256').update(request.body).digest('hex').slice(0, 48)}`;
  deps.metrics?.count('received');
  let created;
  try {
    created = await deps.deliveries.create({
      id,
      receivedAt: now.toISOString(),
      event: SLACK_ACTION_EVENT,
      objectKind: SLACK_ACTION_KIND,
      projectId: value.projectId,
      projectPath: value.projectPath.slice(0, 1024),
      ref: null,
      headers: storedHeaders(request.headers),
      payload: JSON.stringify(read.interaction),
      status: 'queued',
      expiresAt: Math.floor(now.getTime() / 1000) + (deps.retentionDays ?? DEFAULTS.retentionDays) * 86_400,
    });
  } catch (error) {
    deps.metrics?.count('failed');
    deps.log?.error('could not store slack interaction', { deliveryId: id, error: (error as Error).message });
    return { statusCode: 503, body: { error: 'could not record the click; click again' } };
  }
  if (!created.created) {
    deps.metrics?.count('duplicate');
    if (created.existing.status !== 'queued') return { statusCode: 200, body: {} };
  }
  try {
    await deps.queue.send({ v: 1, deliveryId: id });
  } catch (error) {
    deps.metrics?.count('failed');
    deps.log?.error('could not queue slack interaction', { deliveryId: id, error: (error as Error).message });
    return { statusCode: 503, body: { error: 'recorded but could not queue the click; click again' } };
  }
  // An empty 200: Slack shows nothing; the worker answers through response_url.
  return { statusCode: 200, body: {} };
}
