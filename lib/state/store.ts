/**
 * Small pieces of notifier state that outlive one delivery: the Slack `ts` of an MR's parent
 * message, the failure notice of a ref (to thread the recovery under it)...
 */
export interface StateStore {
  /**
   * The value, or undefined when absent or past its expiry (DynamoDB's TTL deletes late, up to days).
   * Read strongly consistent unless `consistent: false`: half the read units, for caches, where a
   * value written a moment ago may read as the one before (a lookup asked again).
   */
  get<T>(key: string, options?: { consistent?: boolean }): Promise<T | undefined>;
  /** `ttlSeconds` wins over `ttlDays`, for short-lived entries (a cached lookup miss: 1 h). */
  put<T>(key: string, value: T, options?: { ttlDays?: number; ttlSeconds?: number }): Promise<void>;
  /**
   * Single-writer work across concurrent workers (one conditional write): takes `key` for
   * `owner` when nobody holds it, when its holder's lease has run out (a worker that crashed),
   * or when `owner` holds it already (its own retry). True when `owner` holds it now.
   */
  reserve(key: string, owner: string, leaseSeconds: number): Promise<boolean>;
  /** Gives `owner`'s reservation back (after a failure), so another worker need not wait out the lease. */
  release(key: string, owner: string): Promise<void>;
}
