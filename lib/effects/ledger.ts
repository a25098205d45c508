/**
 * Exactly-once effects. Every externally visible action (a Slack post, a Jira transition...)
 * has an effect key; the ledger lets an action run only if its key has not completed before,
 * so a redelivery, a GitLab resend or a replay performs nothing twice.
 *
 * The claim is a lease: an attempt that crashes between claiming and finishing leaves a
 * `pending` claim that another attempt may take over once the lease has run out. That window
 * is the only way an effect can happen twice, and it needs a crash mid-send.
 */
export type EffectResult = Record<string, string>;

export type EffectClaim =
  { claimed: true; token: string } | { claimed: false; state: 'done'; result: EffectResult; doneAt: string } | { claimed: false; state: 'pending' };

export interface EffectLedger {
  /** Claims `key` for one attempt. `force` claims it even if it completed before (replay --force). */
  claim(key: string, deliveryId: string, options?: { force?: boolean }): Promise<EffectClaim>;
  /** Marks the claimed effect as done, keeping downstream ids (e.g. Slack `ts`). */
  complete(key: string, token: string, result: EffectResult): Promise<void>;
  /** Gives a claim back after a failure so the next attempt can run the effect. */
  release(key: string, token: string): Promise<void>;
}
