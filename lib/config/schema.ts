import { z } from 'zod';
import { JiraConfigSchema } from '../jira/config.js';
import { PeopleSchema } from '../notify/mentions/people.js';
import { RouteSchema, SlackSettingsSchema } from '../routing/schema.js';

/**
 * The bridge's one config file (`bridge.config.json`, path in BRIDGE_CONFIG). Unknown keys are
 * errors, so a typo fails loudly at load (and at `cdk synth`) instead of being ignored.
 * Secrets never go in this file: tokens and webhook URLs live in Secrets Manager (or env locally).
 */
/** Where the bridge's own operational notices go (docs/recovery.md: Watch): a Slack channel or a Teams webhook name. */
export const OpsRouteSchema = z.strictObject({
  slack: z.strictObject({ channel: z.string().min(1) }).optional(),
  /** A name in the Teams secret (`default` locally, from TEAMS_WEBHOOK_URL). */
  teams: z.strictObject({ webhook: z.string().min(1) }).optional(),
});

/** Recovery of deliveries GitLab failed to make (docs/recovery.md). */
export const RecoveryConfigSchema = z.strictObject({
  /** Projects to scan (paths or ids); absent: every project the API token maintains with a bridge hook. */
  projects: z.array(z.union([z.string().min(1), z.number().int().positive()])).optional(),
  /** `ingest` (default): record from GitLab's hook log; `resend`: GitLab resends (5 a minute per hook). */
  mode: z.enum(['ingest', 'resend']).optional(),
  /** Minutes between scans of the local bridge (npm start); the stack uses -c recoveryInterval. Default 10. */
  intervalMinutes: z.number().int().min(1).max(1440).optional(),
  /** Re-enable a hook GitLab disabled by running its push test trigger, then recover. Default false. */
  reenable: z.boolean().optional(),
});

export const BridgeConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  slack: SlackSettingsSchema.optional(),
  routes: z.array(RouteSchema).default([]),
  jira: JiraConfigSchema.optional(),
  /** GitLab username -> Slack member id / Teams user, for mentions in notices (docs/notices.md: Mentions). */
  people: PeopleSchema.optional(),
  /** The ops route: disabled or missing bridge hooks, and failures recovery found (docs/recovery.md). */
  ops: OpsRouteSchema.optional(),
  recovery: RecoveryConfigSchema.optional(),
});

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
