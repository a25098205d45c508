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
export const BridgeConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  slack: SlackSettingsSchema.optional(),
  routes: z.array(RouteSchema).default([]),
  jira: JiraConfigSchema.optional(),
  /** GitLab username -> Slack member id / Teams user, for mentions in notices (docs/notices.md: Mentions). */
  people: PeopleSchema.optional(),
  /** Buttons on notices that act in GitLab: `interactions.retry` (docs/notices.md: Retry from Slack). */
  interactions: InteractionsSchema.optional(),
});

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
