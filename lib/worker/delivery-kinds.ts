import { isHandledObjectKind, type HandledObjectKind } from '../gitlab/object-kinds.js';
import { SLACK_ACTION_KIND } from '../slack/interaction.js';

/**
 * What a planner's event table is keyed by: the GitLab `object_kind`s the receiver queues, and
 * `slack_action` (a click on a notice's button, recorded by the receiver's Slack route).
 */
export type DeliveryKind = HandledObjectKind | typeof SLACK_ACTION_KIND;

/** The table key of a delivery, or undefined when no planner acts on it. */
export function deliveryKind(objectKind: string | null | undefined): DeliveryKind | undefined {
  if (objectKind === SLACK_ACTION_KIND) return SLACK_ACTION_KIND;
  return isHandledObjectKind(objectKind) ? objectKind : undefined;
}
