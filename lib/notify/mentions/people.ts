import { z } from 'zod';

/**
 * The `people` map of bridge.config.json: GitLab username -> who that person is in chat. The
 * first place a mention is looked up (before Slack's users.lookupByEmail and GitLab's
 * public_email), and the only one for Teams, which has no lookup by email a webhook can use.
 */
export const PersonSchema = z.strictObject({
  /** Slack member id (`U…`, or `W…` on Enterprise Grid): Profile -> ⋮ -> Copy member ID. */
  slack: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack member id looks like "U0123ABCD" (Profile → ⋮ → Copy member ID)')
    .optional(),
  /** Teams: the user's UPN (`alex@example.com`) or Microsoft Entra object id. */
  teams: z.string().trim().min(3, 'a Teams user is a UPN ("alex@example.com") or an Entra object id').optional(),
  /** The email the person commits with, when it differs from what GitLab shows: matches commit authors to this entry. */
  email: z.email('not an email address').optional(),
});

/** Keys are GitLab usernames (`alex.garcia`), as in `@alex.garcia`. */
export const PeopleSchema = z.record(z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/, 'a GitLab username, without "@"'), PersonSchema);

export type Person = z.infer<typeof PersonSchema>;
export type People = z.infer<typeof PeopleSchema>;
