/**
 * Small pieces of notifier state that outlive one delivery: the Slack `ts` of an MR's parent
 * message, the failure notice of a ref (to thread the recovery under it)...
 */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T, options?: { ttlDays?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}
