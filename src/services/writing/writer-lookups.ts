/**
 * The per-writer reads and the session row writes of the edit path, batched across writers.
 * A writer's first edit reads their opt-out, median pace and goal and stores the new session
 * row; when a hundred writers start within a second (a morning's connect burst) that was ~5
 * statements each on the one PGlite worker, and the queue stretched every edit of that second.
 * Misses (and saves) of one event-loop turn now go as one statement per kind
 * (src/lib/batch-loader.ts); the caches in front (cached-lookup.ts) are unchanged, so callers
 * still get a fresh value synchronously and a miss as a promise.
 */
import { createBatchLoader } from '../../lib/batch-loader.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { createCachedLookup, type CachedLookup } from './cached-lookup.js';
import type { StoredSession, WritingGoal, WritingStore } from './ports.js';

/** The goal cache's key: `${projectId}\u0000${userId}`. */
export const goalKey = (userId: string, projectId: string) => `${projectId}\u0000${userId}`;

/** A median pace over this window of closed sessions seeds a new session's thresholds. */
const MEDIAN_WINDOW_MS = 30 * 86_400_000;

export interface WriterLookups {
  /** Keyed by goalKey. */
  goalLookup: CachedLookup<WritingGoal | null>;
  medians: CachedLookup<number | null>;
  /** true: the writer opted out of writing analytics. */
  optOut: CachedLookup<boolean>;
  /** saveSession, joined with the other saves of the same turn into one multi-row upsert. */
  sessions: Pick<WritingStore, 'saveSession'>;
}

export function createWriterLookups(options: {
  store: Pick<WritingStore, 'goalsFor' | 'medianWpmMany' | 'getPreferencesMany' | 'saveSessions'>;
  clock: Clock;
  logger: Logger;
  preferencesTtlMs?: number | undefined;
}): WriterLookups {
  const { store, clock, logger } = options;
  const goals = createBatchLoader<string, WritingGoal | null>({
    keyOf: (key) => key,
    async run(keys) {
      const pairs = keys.map((key) => {
        const [projectId, userId] = key.split('\u0000') as [string, string];
        return { userId, projectId };
      });
      const found = new Map((await store.goalsFor(pairs)).map((g) => [goalKey(g.userId, g.projectId), g]));
      return keys.map((key) => found.get(key) ?? null);
    },
  });
  const medians = createBatchLoader<string, number | null>({
    keyOf: (userId) => userId,
    async run(userIds) {
      const found = await store.medianWpmMany(userIds, clock.now() - MEDIAN_WINDOW_MS);
      return userIds.map((id) => found.get(id) ?? null);
    },
  });
  const optOut = createBatchLoader<string, boolean>({
    keyOf: (userId) => userId,
    async run(userIds) {
      const found = await store.getPreferencesMany(userIds);
      return userIds.map((id) => found.get(id)?.analyticsOptOut === true);
    },
  });
  // Resolves once the statement holding the row committed: a session row is durable before
  // the step that saved it goes on (the cut-short sweep relies on open rows being there).
  const saves = createBatchLoader<StoredSession, void>({
    keyOf: (row) => row.id,
    retrySingly: true,
    async run(rows) {
      await store.saveSessions(rows);
      return rows.map(() => undefined);
    },
  });

  return {
    goalLookup: createCachedLookup({ load: (key) => goals.load(key), ttlMs: 60_000, fallback: (_key, _error, last) => last ?? null }),
    medians: createCachedLookup({ load: (userId) => medians.load(userId), ttlMs: 3_600_000, fallback: (_key, _error, last) => last ?? null }),
    optOut: createCachedLookup({
      load: (userId) => optOut.load(userId),
      ttlMs: options.preferencesTtlMs ?? 30_000,
      // Privacy first: a writer whose choice cannot be read is not tracked until it can.
      fallback: (userId, error, last) => {
        logger.warn({ err: error, user: userId }, 'writing preferences unavailable');
        return last ?? true;
      },
    }),
    sessions: { saveSession: (row) => saves.load(row) },
  };
}
