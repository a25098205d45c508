/**
 * The one summary line a request or a delivery writes (lib/observability.ts, emfMetrics): the
 * fields describing it and the counts are buffered, then written together.
 */
export interface SummaryLine {
  describe?(fields: Record<string, unknown>): void;
  flush?(): void;
}

/**
 * Runs `work`, then writes its summary line with how long it took (`ms`), whether it returned or
 * threw: the receiver per request, the worker per delivery.
 */
export async function withSummaryLine<T>(line: SummaryLine | undefined, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    line?.describe?.({ ms: Math.round(performance.now() - started) });
    line?.flush?.();
  }
}
