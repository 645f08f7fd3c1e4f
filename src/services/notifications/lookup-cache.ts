/**
 * A small read-through cache for the lookups the rules consumer makes for every batch
 * (recipients by pseudonym, project owners, preferences, writers' zones). In PGlite those lookups
 * were a fifth of the worker's time per event at 1,000 events/s (issue 14's benchmark), and their
 * answers change only when a user is sighted or saves preferences.
 *
 * Freshness: a write through this process calls `invalidate` (after it committed), so this
 * instance sees its own changes at once. A load that was in flight while an invalidation
 * happened is not kept (its answer may predate the write). Changes made by another instance (on
 * Postgres) are seen once the entry is `ttlMs` old: that bound is the staleness a batch can route
 * with, documented in docs/notifications.md. Absent answers are cached too (a pseudonym never
 * sighted, a user without stored preferences), with the same invalidation.
 */
import type { Clock } from '../../lib/clock.js';

export interface LookupCache<V> {
  /** Answers for every key (absent ones stay absent), loading only the missing or expired ones. */
  getMany(keys: readonly string[]): Promise<Map<string, V>>;
  invalidate(keys: Iterable<string>): void;
  clear(): void;
}

interface Entry<V> {
  value: V | undefined;
  at: number;
}

export function createLookupCache<V>(options: {
  load: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;
  clock: Clock;
  ttlMs: number;
  /** Entries kept at most; the cache is emptied when it would grow past this (no LRU bookkeeping). */
  maxEntries?: number;
}): LookupCache<V> {
  const { load, clock, ttlMs } = options;
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, Entry<V>>();
  // Bumped by every invalidation: a load that started before one does not fill the cache.
  let generation = 0;

  return {
    async getMany(keys) {
      const now = clock.now();
      const out = new Map<string, V>();
      const missing: string[] = [];
      for (const key of new Set(keys)) {
        const e = entries.get(key);
        if (e && now - e.at < ttlMs) {
          if (e.value !== undefined) out.set(key, e.value);
        } else missing.push(key);
      }
      if (missing.length === 0) return out;
      const started = generation;
      const loaded = await load(missing);
      if (ttlMs > 0 && started === generation) {
        if (entries.size + missing.length > maxEntries) entries.clear();
        for (const key of missing) entries.set(key, { value: loaded.get(key), at: now });
      }
      return mergeLoaded(out, loaded, missing);
    },
    invalidate(keys) {
      generation++;
      for (const key of keys) entries.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}

function mergeLoaded<V>(out: Map<string, V>, loaded: ReadonlyMap<string, V>, keys: readonly string[]): Map<string, V> {
  for (const key of keys) {
    const v = loaded.get(key);
    if (v !== undefined) out.set(key, v);
  }
  return out;
}
