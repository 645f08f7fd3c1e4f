/**
 * A small read-through cache for per-writer lookups on the edit path (preferences, goals, median
 * pace): a fresh value is returned synchronously, so a keystroke costs no await and no query;
 * concurrent misses share one load. Expiry and the size bound are lru-cache's; what is ours is
 * the synchronous fast path and the fallback on a failed load.
 */
import { LRUCache } from 'lru-cache';

export interface CachedLookup<V> {
  /** The cached value while fresh, otherwise a promise of a fresh one. */
  get(key: string): V | Promise<V>;
  /** Forgets `key` (after a write through another path, e.g. REST). */
  invalidate(key: string): void;
}

/** Boxed because lru-cache stores no null/undefined, and `null` is a real answer (no goal). */
interface Box<V> {
  value: V;
}

/** A flood of distinct writers evicts the least recently used, never grows past this. */
const MAX_ENTRIES = 10_000;

/**
 * `fallback(key, error, last)` decides what a failed load returns: the last known value (fresh
 * or expired), or a safe default. Failures are not cached, so the next call tries again. Expiry
 * uses wall time (`now`), not the writing model's clock, which may be a replayed one.
 */
export function createCachedLookup<V>(options: {
  load(key: string): Promise<V>;
  ttlMs: number;
  fallback(key: string, error: unknown, last: V | undefined): V;
  now?: () => number;
}): CachedLookup<V> {
  const entries = new LRUCache<string, Box<V>>({
    max: MAX_ENTRIES,
    ttl: options.ttlMs,
    // An expired value stays readable (allowStale) as the fallback's `last` until replaced.
    noDeleteOnStaleGet: true,
    // An injected clock is read on every check (lru-cache otherwise reuses a reading for 1 ms).
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
  });
  const loading = new Map<string, Promise<V>>();

  return {
    get(key) {
      const fresh = entries.get(key);
      if (fresh !== undefined) return fresh.value;
      const pending = loading.get(key);
      if (pending !== undefined) return pending;
      const last = entries.get(key, { allowStale: true });
      const promise = options.load(key).then(
        (value) => {
          entries.set(key, { value });
          return value;
        },
        (error: unknown) => options.fallback(key, error, last?.value),
      );
      const settled = promise.finally(() => loading.delete(key));
      loading.set(key, settled);
      return settled;
    },
    invalidate(key) {
      entries.delete(key);
    },
  };
}
