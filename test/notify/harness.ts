import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../lib/config/load.js';
import type { BridgeConfig } from '../../lib/config/schema.js';
import { DEFAULTS } from '../../lib/defaults.js';
import { DynamoDbDeliveryStore } from '../../lib/deliveries/dynamodb-store.js';
import type { DeliveryRecord } from '../../lib/deliveries/record.js';
import { DynamoDbEffectLedger } from '../../lib/effects/dynamodb-ledger.js';
import type { GitLabAccess } from '../../lib/gitlab/api.js';
import { GitLabClient } from '../../lib/gitlab/api-client.js';
import { summarizeEvent } from '../../lib/gitlab/events.js';
import { createNotifyPlanner } from '../../lib/notify/planner.js';
import type { RouteInput } from '../../lib/routing/schema.js';
import type { Credentials } from '../../lib/secrets/credentials.js';
import { DynamoDbStateStore } from '../../lib/state/dynamodb-state-store.js';
import type { Planner } from '../../lib/worker/action.js';
import { createPlanners } from '../../functions/planners.js';
import type { BridgeLogger } from '../../lib/logger.js';
import { processDelivery, type DeliveryResult, type WorkerDeps } from '../../lib/worker/process-delivery.js';
import { startTestTable } from '../support/local-aws.js';
import { startSlackServer, type SlackServer } from '../support/slack-server.js';
import { startTeamsServer, type TeamsServer } from '../support/teams-server.js';
import { expectValidTeamsMessage } from './adaptive-card-validation.js';

const EVENT_HEADER: Record<string, string> = { pipeline: 'Pipeline Hook', merge_request: 'Merge Request Hook', push: 'Push Hook', build: 'Job Hook' };

export interface HarnessOptions {
  routes: RouteInput[];
  /** Slack token the planner gets; `null` for none. Default: the Slack server's token. */
  slackToken?: string | null;
  /** Teams webhook names to configure (URLs point at the Teams server). Default: default, ops. */
  teamsWebhooks?: string[];
  print?: (text: string) => void;
  maxAttempts?: number;
  /** Wire createPlanners (notify + jira) instead of the notify planner alone. */
  allPlanners?: boolean;
  /** The config's `people` map (mentions). */
  people?: Record<string, unknown>;
  /** GitLab's API for the planners: a GitLabClient on this stand-in URL and token, or any GitLabAccess. */
  gitlab?: { url: string; token: string; timeoutMs?: number } | GitLabAccess;
  /** The config's `interactions` (Retry from Slack). */
  interactions?: Record<string, unknown>;
}

/**
 * The worker as production wires it (DynamoDB delivery store, effect ledger and state store on
 * dynalite, the notify planner with the real Slack client and fetch), pointed at the local
 * Slack and Teams servers. `deliver()` stores a GitLab payload as the receiver would and runs
 * the worker on it.
 */
export class NotifyHarness {
  slack!: SlackServer;
  teams!: TeamsServer;
  store!: DynamoDbDeliveryStore;
  state!: DynamoDbStateStore;
  /** Capacity units of every state store call, as DynamoDB (dynalite) reported them. */
  stateUnits: Array<{ operation: string; units: number; key: string }> = [];
  logs: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  /** The GitLab client configure() built from `gitlab: { url, token }`, if any. */
  gitlabClient: GitLabClient | undefined;
  private table!: Awaited<ReturnType<typeof startTestTable>>;
  private deps!: WorkerDeps;

  async start(): Promise<void> {
    this.table = await startTestTable();
    this.slack = await startSlackServer();
    this.teams = await startTeamsServer();
    this.store = new DynamoDbDeliveryStore({ client: this.table.client, tableName: this.table.tableName });
    this.state = new DynamoDbStateStore(this.table.client, this.table.tableName, Date.now, (operation, units, key) =>
      this.stateUnits.push({ operation, units, key }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.slack?.close(), this.teams?.close(), this.table?.close()]);
  }

  /** Every card the Teams server received parses and validates as Adaptive Card 1.5, under 28 KB. */
  expectEveryTeamsCardValid(): void {
    for (const post of this.teams.posts) expectValidTeamsMessage(post.body, post.raw);
  }

  /** (Re)configures the worker; each call starts from fresh routes and credentials. */
  configure(options: HarnessOptions): { config: BridgeConfig; planners: Planner[] } {
    const config = parseConfig(
      {
        slack: { apiUrl: this.slack.apiUrl },
        routes: options.routes,
        ...(options.people ? { people: options.people } : {}),
        ...(options.interactions ? { interactions: options.interactions } : {}),
      },
      'test config',
    );
    const token = options.slackToken === undefined ? this.slack.token : options.slackToken;
    const names = options.teamsWebhooks ?? ['default', 'ops'];
    const credentials: Credentials = {
      slackBotToken: async () => token ?? undefined,
      teamsWebhooks: async () => Object.fromEntries(names.map((name) => [name, this.teams.webhookUrl(name)])),
      jira: async () => undefined,
      gitlabApiToken: async () => undefined,
    };
    const log: BridgeLogger = {
      info: (message, extra) => this.logs.push({ level: 'info', message, ...(extra ? { extra } : {}) }),
      warn: (message, extra) => this.logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }),
      error: (message, extra) => this.logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }),
    };
    this.gitlabClient = undefined;
    let gitlab: GitLabAccess | undefined;
    if (options.gitlab && 'forProject' in options.gitlab) gitlab = options.gitlab;
    else if (options.gitlab) {
      const client = new GitLabClient(options.gitlab);
      this.gitlabClient = client;
      gitlab = { forProject: async () => ({ api: client }) };
    }
    const plannerDeps = { config, credentials, log, ...(options.print ? { print: options.print } : {}), ...(gitlab ? { gitlab } : {}) };
    // Short Slack retries keep 5xx tests quick; the bounded production policy is tested on its own.
    const planners = options.allPlanners
      ? createPlanners(plannerDeps)
      : [createNotifyPlanner(plannerDeps, { slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 } } })];
    this.deps = {
      deliveries: this.store,
      effects: new DynamoDbEffectLedger({ client: this.table.client, tableName: this.table.tableName }),
      state: this.state,
      planners,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      log,
    };
    return { config, planners };
  }

  get workerDeps(): WorkerDeps {
    return this.deps;
  }

  /** Stores `payload` as a delivery record (as the receiver does) and returns its id; `extra` sets more fields (authProject...). */
  async storeDelivery(payload: Record<string, unknown>, extra: Partial<DeliveryRecord> = {}): Promise<string> {
    const id = randomUUID();
    const summary = summarizeEvent(payload);
    await this.store.create({
      id,
      receivedAt: new Date().toISOString(),
      event: EVENT_HEADER[String(payload.object_kind)] ?? 'Unknown Hook',
      objectKind: summary.objectKind,
      projectId: summary.projectId,
      projectPath: summary.projectPath,
      ref: summary.ref,
      headers: { 'x-gitlab-event': EVENT_HEADER[String(payload.object_kind)] ?? 'Unknown Hook', 'x-gitlab-token': '[REDACTED]' },
      payload: JSON.stringify(payload),
      status: 'queued',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      ...extra,
    });
    return id;
  }

  /** Runs the worker on an already stored delivery. */
  run(deliveryId: string, options: { attempt?: number; replay?: boolean; force?: boolean } = {}): Promise<DeliveryResult> {
    return processDelivery(
      { v: 1, deliveryId, ...(options.replay ? { replay: true } : {}), ...(options.force ? { force: true } : {}) },
      options.attempt ?? 1,
      this.deps,
    );
  }

  /** Stores and runs a delivery; returns the result and the stored record afterwards. */
  async deliver(payload: Record<string, unknown>, options: { attempt?: number } = {}): Promise<{ id: string; result: DeliveryResult; record: DeliveryRecord }> {
    const id = await this.storeDelivery(payload);
    const result = await this.run(id, options);
    const record = await this.store.get(id);
    if (!record) throw new Error(`delivery ${id} vanished`);
    return { id, result, record };
  }
}
