import { describe, expect, it } from 'vitest';
import { benchJson, REQUIRED_BENCH_KEYS } from '../../bench/bench-json.js';

const complete = Object.fromEntries(REQUIRED_BENCH_KEYS.map((key, i) => [key, i + 0.123456]));

describe('npm run bench -- --json', () => {
  it('has the keys issue 15 names, as numbers', () => {
    const parsed = JSON.parse(benchJson(complete)) as Record<string, unknown>;
    for (const key of REQUIRED_BENCH_KEYS) expect(typeof parsed[key], key).toBe('number');
    expect(REQUIRED_BENCH_KEYS).toEqual(
      expect.arrayContaining([
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
      ]),
    );
  });

  it('is one line of JSON with figures rounded to 4 decimals, extra figures kept', () => {
    const text = benchJson({ ...complete, loadLost: 0 });
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toMatchObject({ receiverTimeRatio: 0.1235, loadLost: 0 });
  });

  it('names a missing required figure', () => {
    const { endToEndRatio: _dropped, ...rest } = complete;
    expect(() => benchJson(rest)).toThrow(/no figure for endToEndRatio/);
  });

  it.each([NaN, Infinity])('refuses %s rather than print it as null', (value) => {
    expect(() => benchJson({ ...complete, costPerMillionUsd: value })).toThrow(/costPerMillionUsd is .* not a finite number/);
  });
});
