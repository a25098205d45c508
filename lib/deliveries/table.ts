/**
 * Layout of the bridge's single DynamoDB table. `cdk/` builds the table from these names and
 * the stores read and write with them, so the two cannot drift apart.
 *
 * One table holds three kinds of item, told apart by the prefix of the partition key `pk`:
 * - `D#<delivery id>`: a delivery record (lib/deliveries).
 * - `E#<effect key>`: an effect that must happen once (lib/effects).
 * - `S#<state key>`: small notifier state, e.g. the Slack `ts` of an MR's message (lib/state).
 * Only delivery items carry `status` and `projectPath`, so the two indexes stay sparse.
 */
export const TABLE = {
  partitionKey: 'pk',
  /** TTL attribute (epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** Deliveries per project, newest first: partition `projectPath`, sort `receivedAt`. */
  byProjectIndex: 'byProject',
  /** Deliveries per status, newest first: partition `status`, sort `receivedAt`. */
  byStatusIndex: 'byStatus',
  projectAttribute: 'projectPath',
  statusAttribute: 'status',
  sortAttribute: 'receivedAt',
  /**
   * Attributes copied into both indexes so a listing needs no extra reads. Kept small on
   * purpose: every index write costs write units in proportion to the projected size.
   * An index's own key attributes are projected anyway; cdk/ leaves them out of its list.
   */
  projectedAttributes: ['id', 'status', 'projectPath', 'event', 'objectKind', 'projectId', 'ref', 'attempts', 'updatedAt', 'statusReason', 'expiresAt'],
} as const;

export const DELIVERY_PREFIX = 'D#';
export const EFFECT_PREFIX = 'E#';
export const STATE_PREFIX = 'S#';
