import { z } from 'zod';

// PLACEHOLDER: the notify work (lib/routing, lib/notify) replaces this with the full route schema.
export const SlackSettingsSchema = z.strictObject({
  apiUrl: z.string().url().optional(),
});

export const RouteSchema = z.strictObject({
  name: z.string().optional(),
});

export type Route = z.infer<typeof RouteSchema>;
export type SlackSettings = z.infer<typeof SlackSettingsSchema>;
