/**
 * Small pieces of notifier state that outlive one delivery: the Slack `ts` of an MR's parent
 * message, the failure notice of a ref (to thread the recovery under it)...
 */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T, options?: { ttlDays?: number }): Promise<void>;
  /**
   * Single-writer work across concurrent workers (one conditional write): takes `key` for
   * `owner` when nobody holds it, when its holder's lease has run out (a worker that crashed),
   * or when `owner` holds it already (its own retry). True when `owner` holds it now.
   */
  reserve(key: string, owner: string, leaseSeconds: number): Promise<boolean>;
  /** Gives `owner`'s reservation back (after a failure), so another worker need not wait out the lease. */
  release(key: string, owner: string): Promise<void>;
}
