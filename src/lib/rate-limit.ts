import type { Clock } from './clock.js';

/**
 * Abuse limits shared by REST and both WebSocket servers: token buckets for rates (requests,
 * messages) and counters for concurrency (connections). Pure apart from the injected clock.
 *
 * Callers pass a real-time clock even where the rest of the server runs on a manual one (trace
 * replays): a limit protects CPU and memory, which are spent in real time.
 */

/** One bucket's settings: `ratePerSecond` refill up to `burst` tokens (a full bucket to start). */
export interface RateSpec {
  ratePerSecond: number;
  burst: number;
}

/** The answer of a take: allowed, or refused with the wait until one token is back. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/** One token bucket (a socket's messages). */
export interface RateBucket {
  take(cost?: number): RateDecision;
}

export function createRateBucket(spec: RateSpec, clock: Clock): RateBucket {
  let tokens = spec.burst;
  let at = clock.now();
  return {
    take(cost = 1) {
      const now = clock.now();
      tokens = Math.min(spec.burst, tokens + (Math.max(0, now - at) * spec.ratePerSecond) / 1000);
      at = now;
      if (tokens >= cost) {
        tokens -= cost;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil(((cost - tokens) * 1000) / spec.ratePerSecond) };
    },
  };
}

/** Token buckets by key (an IP, a user id), with a bounded number of keys. */
export interface RateLimiter {
  take(key: string, cost?: number): RateDecision;
  /** Keys currently tracked (bounded by `maxKeys`). */
  size(): number;
}

/**
 * Keyed buckets. At most `maxKeys` buckets are kept; past that the least recently used one is
 * forgotten, which only ever gives that key a fresh (full) bucket: an attacker rotating keys
 * gains nothing per key, and memory stays bounded.
 */
export function createRateLimiter(spec: RateSpec & { maxKeys?: number }, clock: Clock): RateLimiter {
  const maxKeys = spec.maxKeys ?? 10_000;
  // Map iteration order is insertion order: delete + set moves a key to the end (most recent).
  const buckets = new Map<string, RateBucket>();
  return {
    take(key, cost = 1) {
      let bucket = buckets.get(key);
      if (bucket) buckets.delete(key);
      else bucket = createRateBucket(spec, clock);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      return bucket.take(cost);
    },
    size: () => buckets.size,
  };
}

/** How many of something (open sockets) each key holds, against a per-key maximum. */
export interface ConcurrencyLimit {
  /** Counts one more for `key`; undefined when the key is at its maximum. Release exactly once. */
  acquire(key: string): (() => void) | undefined;
  count(key: string): number;
  /** Keys holding at least one (entries are deleted at zero, so this is bounded by holders). */
  size(): number;
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const current = counts.get(key) ?? 0;
      if (current >= max) return undefined;
      counts.set(key, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      };
    },
    count: (key) => counts.get(key) ?? 0,
    size: () => counts.size,
  };
}
