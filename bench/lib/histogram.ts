/**
 * A mergeable latency histogram: worker processes record millions of samples, the parent merges
 * them without shipping raw arrays. Buckets are 0.1 ms wide up to 5 s; slower samples are kept
 * exactly. Percentiles come out with the same nearest-rank rule as `summarize` in stats.ts.
 */
import type { Summary } from './stats.js';

const WIDTH_MS = 0.1;
const BUCKETS = 50_000;

export interface HistogramData {
  /** [bucket index, count] pairs, only non-empty buckets. */
  buckets: [number, number][];
  /** Samples at or above the last bucket, in ms. */
  overflow: number[];
  count: number;
  sum: number;
  max: number;
}

export interface Histogram {
  record(ms: number): void;
  data(): HistogramData;
}

export function createHistogram(): Histogram {
  const counts = new Uint32Array(BUCKETS);
  const overflow: number[] = [];
  let count = 0;
  let sum = 0;
  let max = 0;
  return {
    record(ms) {
      const value = Math.max(0, ms);
      const bucket = Math.floor(value / WIDTH_MS);
      if (bucket < BUCKETS) counts[bucket]!++;
      else overflow.push(value);
      count++;
      sum += value;
      if (value > max) max = value;
    },
    data() {
      const buckets: [number, number][] = [];
      counts.forEach((n, i) => {
        if (n > 0) buckets.push([i, n]);
      });
      return { buckets, overflow: [...overflow], count, sum, max };
    },
  };
}

/** Adds histograms together (workers' data into the run's). */
export function mergeHistograms(parts: HistogramData[]): HistogramData {
  const counts = new Map<number, number>();
  const overflow: number[] = [];
  let count = 0;
  let sum = 0;
  let max = 0;
  for (const part of parts) {
    for (const [i, n] of part.buckets) counts.set(i, (counts.get(i) ?? 0) + n);
    // A loop, not push(...): a saturated run can leave more samples past 5 s than a call's arguments.
    for (const ms of part.overflow) overflow.push(ms);
    count += part.count;
    sum += part.sum;
    max = Math.max(max, part.max);
  }
  return { buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]), overflow, count, sum, max };
}

/** p50/p95/p99 at bucket resolution (upper edge of the bucket), max exact. */
export function summarizeHistogram(h: HistogramData): Summary {
  if (h.count === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sortedOverflow = [...h.overflow].sort((a, b) => a - b);
  const at = (q: number): number => {
    const rank = Math.min(h.count, Math.max(1, Math.ceil(q * h.count)));
    let seen = 0;
    for (const [i, n] of h.buckets) {
      seen += n;
      if (seen >= rank) return Math.min(h.max, (i + 1) * WIDTH_MS);
    }
    return sortedOverflow[rank - seen - 1] ?? h.max;
  };
  return { count: h.count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: h.max, mean: h.sum / h.count };
}
