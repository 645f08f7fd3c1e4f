/**
 * Exponential backoff with full jitter, the one formula for every retry loop on the server
 * (event consumers, the Redis publisher, snapshot compaction). The client SDK keeps its own copy
 * (client-sdk/src/backoff.ts): it may not import the server's sources.
 */

/** Bounds of a backoff: the first ceiling and the largest. */
export interface BackoffBounds {
  /** Ceiling of the first delay (attempt 0); doubles with each attempt. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

/**
 * Delay before retry `attempt` (0-based): a uniformly random integer in
 * `[0, min(maxMs, baseMs * 2^attempt)]`.
 *
 * Full jitter ("AWS Architecture Blog: Exponential Backoff and Jitter"): the whole delay is random,
 * not only a slice of it, so clients that failed together (a Redis or Postgres restart) spread
 * out over the window instead of retrying in step; the total work done is about the same as with
 * no jitter, the peak is far lower. Pure: pass `random` (returning [0, 1)) to make it
 * deterministic. Negative or fractional attempts count as their floor, at least 0.
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  // 2^31 x any sane base is past every cap; bounding the exponent keeps the product finite.
  const exponent = Math.min(31, Math.max(0, Math.floor(attempt)));
  const ceiling = Math.max(0, Math.min(bounds.maxMs, bounds.baseMs * 2 ** exponent));
  return Math.round(random() * ceiling);
}
