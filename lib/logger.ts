/**
 * What the receiver, the worker and the planners log through: structured messages with ids and
 * reasons, never secrets. Powertools Logger in AWS (lib/observability.ts), plain lines locally.
 */
export interface BridgeLogger {
  /** Each step of a delivery; written only at debug level (lib/observability.ts). */
  debug?(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
