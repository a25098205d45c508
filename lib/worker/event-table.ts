/**
 * Building and running planners' event tables (the types are in ./action.ts): `on` declares a
 * handler, `parseEvent` validates a payload at the edge.
 */
import type { z } from 'zod';
import { InvalidPayload } from '../errors.js';
import type { EventHandler, PlanContext, PlannedAction } from './action.js';

/** Declares the handler of one event: `pipeline: on(PipelineEventSchema, planPipeline)`. */
export function on<Event>(
  schema: z.ZodType<Event>,
  plan: (event: Event, context: PlanContext) => PlannedAction[] | Promise<PlannedAction[]>,
  options: { ifInvalid?: 'fail' | 'skip' } = {},
): EventHandler<Event> {
  return { schema, plan, ifInvalid: options.ifInvalid ?? 'fail' };
}

/**
 * Validates a payload at the edge. A payload GitLab would never send throws InvalidPayload,
 * which the worker records on the delivery without retrying (it will not change).
 */
export function parseEvent<Event>(schema: z.ZodType<Event>, payload: unknown, kind: string): Event {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  // Five issues say what is wrong without flooding the delivery log.
  const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new InvalidPayload(`${kind} payload does not match GitLab's ${kind} event: ${problems.join('; ')}`);
}

/** The actions `handler` plans for a payload (none when it is invalid and the handler skips those). */
export async function planEvent(handler: EventHandler, kind: string, context: PlanContext): Promise<PlannedAction[]> {
  if (handler.ifInvalid === 'skip') {
    const parsed = handler.schema.safeParse(context.payload);
    return parsed.success ? handler.plan(parsed.data, context) : [];
  }
  return handler.plan(parseEvent(handler.schema, context.payload, kind), context);
}
