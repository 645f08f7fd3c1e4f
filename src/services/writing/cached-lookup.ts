/**
 * A small read-through cache for per-writer lookups on the edit path (preferences, goals, median
 * pace): a fresh value is returned synchronously, so a keystroke costs no await and no query;
 * concurrent misses share one load.
 */
export interface CachedLookup<V> {
  /** The cached value while fresh, otherwise a promise of a fresh one. */
  get(key: string): V | Promise<V>;
  /** Forgets `key` (after a write through another path, e.g. REST). */
  invalidate(key: string): void;
}

interface Entry<V> {
  value: V;
  at: number;
}

const MAX_ENTRIES = 10_000;

/**
 * `fallback(key, error, last)` decides what a failed load returns: the last known value, or a
 * safe default. Failures are not cached, so the next call tries again. Expiry uses wall time
 * (`now`), not the writing model's clock, which may be a replayed one.
 */
export function createCachedLookup<V>(options: {
  load(key: string): Promise<V>;
  ttlMs: number;
  fallback(key: string, error: unknown, last: V | undefined): V;
  now?: () => number;
}): CachedLookup<V> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  const loading = new Map<string, Promise<V>>();

  const evictExpired = (t: number) => {
    for (const [key, entry] of entries) if (t - entry.at >= options.ttlMs) entries.delete(key);
    // Still too many fresh ones (a flood of distinct writers): start over rather than grow.
    if (entries.size >= MAX_ENTRIES) entries.clear();
  };

  return {
    get(key) {
      const t = now();
      const entry = entries.get(key);
      if (entry !== undefined && t - entry.at < options.ttlMs) return entry.value;
      const pending = loading.get(key);
      if (pending !== undefined) return pending;
      const promise = options.load(key).then(
        (value) => {
          if (entries.size >= MAX_ENTRIES) evictExpired(t);
          entries.set(key, { value, at: now() });
          return value;
        },
        (error: unknown) => options.fallback(key, error, entry?.value),
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
