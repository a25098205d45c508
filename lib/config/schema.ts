import { z } from 'zod';
import { JiraConfigSchema } from '../jira/config.js';
import { PeopleSchema } from '../notify/mentions/people.js';
import { RouteSchema, SlackSettingsSchema } from '../routing/schema.js';

/** A Slack member (`U…`, `W…` on Enterprise Grid) or user group (`S…`) id. */
const SlackPrincipalId = z.string().regex(/^[UWS][A-Z0-9]{2,30}$/, 'a Slack user id (U…/W…) or user group id (S…)');

/** Buttons on notices that act in GitLab (docs/notices.md: Retry from Slack). */
export const InteractionsSchema = z.strictObject({
  retry: z
    .strictObject({
      /**
       * Offer "Retry failed jobs" on Slack failure notices. Shown only when the GitLab API token
       * also has the `api` scope (checked with GitLab) and the Slack app's signing secret is set.
       */
      enabled: z.boolean().default(false),
      /** Who may click it: `anyone` who sees the message (default), or Slack user and user group ids. */
      allowed: z.union([z.literal('anyone'), z.array(SlackPrincipalId).min(1)]).default('anyone'),
    })
    .default({ enabled: false, allowed: 'anyone' }),
});

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
  /** Buttons on notices that act in GitLab: `interactions.retry` (docs/notices.md: Retry from Slack). */
  interactions: InteractionsSchema.optional(),
});

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
