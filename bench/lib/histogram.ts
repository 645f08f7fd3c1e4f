/**
 * A mergeable latency histogram on HdrHistogram (hdr-histogram-js): worker processes record
 * millions of samples, the parent merges them without shipping raw arrays. Samples are kept in
 * microseconds with 3 significant digits (relative error under 0.1 % at any latency, no upper
 * bound); a worker ships its histogram as HdrHistogram's compressed base64 encoding. Percentiles
 * are HdrHistogram's (the highest value equivalent to the sample at that rank, the same
 * nearest-rank rule as `summarize` in stats.ts); count, mean and max are exact.
 */
import hdr from 'hdr-histogram-js';
import type { Summary } from './stats.js';

/** HdrHistogram records integers: latencies are recorded in microseconds. */
const US_PER_MS = 1_000;
const BUILD = { numberOfSignificantValueDigits: 3, autoResize: true } as const;

/** What a worker sends to the parent (structured-clone and JSON safe). */
export interface HistogramData {
  /** The samples (microseconds) as HdrHistogram's compressed base64 encoding. */
  encoded: string;
  count: number;
  /** Exact sum and max of the samples, in ms (HdrHistogram rounds both to its resolution). */
  sum: number;
  max: number;
}

export interface Histogram {
  record(ms: number): void;
  data(): HistogramData;
}

export function createHistogram(): Histogram {
  const histogram = hdr.build(BUILD);
  let count = 0;
  let sum = 0;
  let max = 0;
  return {
    record(ms) {
      const value = Math.max(0, ms);
      histogram.recordValue(Math.round(value * US_PER_MS));
      count++;
      sum += value;
      if (value > max) max = value;
    },
    data() {
      return { encoded: hdr.encodeIntoCompressedBase64(histogram), count, sum, max };
    },
  };
}

/** Adds histograms together (workers' data into the run's). */
export function mergeHistograms(parts: HistogramData[]): HistogramData {
  const total = hdr.build(BUILD);
  let count = 0;
  let sum = 0;
  let max = 0;
  for (const part of parts) {
    if (part.count > 0) total.add(hdr.decodeFromCompressedBase64(part.encoded));
    count += part.count;
    sum += part.sum;
    max = Math.max(max, part.max);
  }
  return { encoded: hdr.encodeIntoCompressedBase64(total), count, sum, max };
}

/** p50/p95/p99 at HdrHistogram's resolution (never above the exact max), max and mean exact. */
export function summarizeHistogram(h: HistogramData): Summary {
  if (h.count === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const histogram = hdr.decodeFromCompressedBase64(h.encoded);
  const at = (percentile: number) => Math.min(h.max, histogram.getValueAtPercentile(percentile) / US_PER_MS);
  return { count: h.count, p50: at(50), p95: at(95), p99: at(99), max: h.max, mean: h.sum / h.count };
}
