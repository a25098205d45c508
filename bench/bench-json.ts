/**
 * `npm run bench -- --json`: the figures as one JSON object of numbers, so CI and dashboards can
 * track them. Pure; bench/receiver.bench.ts collects the figures.
 */

/** Keys every `--json` output has (issue 15); the bench may add more. */
export const REQUIRED_BENCH_KEYS = [
  'receiverTimeRatio',
  'receiverBundleRatio',
  'receiverColdImportRatio',
  'writeUnitsPerDelivery',
  'workerBundleRatio',
  'workerColdImportRatio',
  'endToEndRatio',
  'loadVsDynaliteRatio',
  'workerDrainVsAcceptRatio',
  'costPerMillionUsd',
] as const;

export type RequiredBenchKey = (typeof REQUIRED_BENCH_KEYS)[number];
export type BenchFigures = Record<RequiredBenchKey, number> & Record<string, number>;

/**
 * One line of JSON with every figure rounded to 4 decimals. Throws, naming the key, when a
 * required figure is missing or a figure is not a finite number (JSON has no NaN or Infinity, and
 * a dashboard must not read a figure the bench failed to measure as 0).
 */
export function benchJson(figures: Readonly<Record<string, number | undefined>>): string {
  const missing = REQUIRED_BENCH_KEYS.filter((key) => figures[key] === undefined);
  if (missing.length > 0) throw new Error(`bench --json: no figure for ${missing.join(', ')}`);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(figures)) {
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`bench --json: ${key} is ${String(value)}, not a finite number`);
    out[key] = Math.round(value * 10_000) / 10_000;
  }
  return JSON.stringify(out);
}
