import type { ActionOutcome, DeliveryRecord, DeliveryStatus, DeliverySummary } from './record.js';

/** A new delivery as the receiver writes it. */
export type NewDelivery = Omit<DeliveryRecord, 'outcomes' | 'attempts' | 'updatedAt'>;

export type CreateResult = { created: true } | { created: false; existing: DeliverySummary };

export interface DeliveryQuery {
  /** Only this project (path with namespace, e.g. `acme/app`). */
  projectPath?: string;
  /** Only these statuses; all when empty or absent. */
  statuses?: readonly DeliveryStatus[];
  /** ISO time: only deliveries received at or after it. */
  since?: string;
  /** ISO time cursor: only deliveries received strictly before it (the next page). */
  before?: string;
  /** Page size. */
  limit: number;
}

export interface DeliveryPage {
  items: DeliverySummary[];
  /** Pass as `before` to get the next page; absent on the last page. */
  nextBefore?: string;
}

export interface FinishedAttempt {
  status: DeliveryStatus;
  statusReason?: string;
  outcomes: ActionOutcome[];
  attempts: number;
}

/** Where delivery records live. One implementation: DynamoDB (lib/deliveries/dynamodb-store.ts). */
export interface DeliveryStore {
  /** Writes the record unless one with the same id exists (GitLab resent it, or it was replayed). */
  create(delivery: NewDelivery): Promise<CreateResult>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Records the end of a worker attempt: status, outcomes and attempt count. */
  finishAttempt(id: string, attempt: FinishedAttempt): Promise<void>;
  /** Sets the status back to `queued` before a replay puts the delivery on the queue again. */
  markQueuedForReplay(id: string): Promise<void>;
  /** Newest first. */
  list(query: DeliveryQuery): Promise<DeliveryPage>;
}
