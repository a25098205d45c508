import { z } from 'zod';
import { JiraConfigSchema } from '../jira/config.js';
import { PeopleSchema } from '../notify/mentions/people.js';
import { RouteSchema, SlackSettingsSchema } from '../routing/schema.js';

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
});

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
