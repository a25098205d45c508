import { z } from 'zod';

// PLACEHOLDER: the Jira work (lib/jira) replaces this with the full policy schema.
export const JiraConfigSchema = z.strictObject({
  host: z.string().url(),
});

export type JiraConfig = z.infer<typeof JiraConfigSchema>;
