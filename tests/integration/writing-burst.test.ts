import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMemoryLiveSessionStore } from '../../src/services/writing/live-store.js';
import type { WritingStore } from '../../src/services/writing/ports.js';
import { createWritingService } from '../../src/services/writing/writing-service.js';
import type { TransactionWords } from '../../src/tracking/writing/word-count.js';
import { onEveryDatabase } from '../helpers/databases.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Issues 12 and 17: a burst of writers starting at once. Their first edits' reads (opt-out,
 * median pace, goal) and their new session rows go to storage as one call per kind, not one per
 * writer, and every writer still gets what a lone writer would: the opted-out one no session,
 * the others a stored open row and their own goal.
 */
const logger = createLogger({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const WRITERS = 30;
/** Events carry a 16-hex pseudonym. */
const actorOf = (user: string) => Buffer.from(user).toString('hex').padStart(16, '0').slice(-16);
const words = (net: number): TransactionWords => ({ insertedChars: net * 5, deletedChars: 0, netWords: net, wordsAdded: net, wordsRemoved: 0, paragraphsTouched: [] });

/** The store, counting calls per method. */
function counting(store: WritingStore): { store: WritingStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped = Object.fromEntries(
    Object.entries(store).map(([name, method]) => [
      name,
      (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return (method as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as WritingStore;
  return { store: wrapped, calls };
}

onEveryDatabase((name, open) => {
  describe(`a burst of writers starting at once on ${name}`, { timeout: 120_000 }, () => {
    it('loads their opt-outs, paces and goals with one query each and stores their sessions together', async () => {
      const { db, cleanup } = await open();
      const project = uniqueName('burst');
      const users = Array.from({ length: WRITERS }, (_, i) => `${project}-w${i}`);
      try {
        await db.writing.setPreferences({ userId: users[0]!, analyticsOptOut: true, timeZone: 'UTC' });
        await db.writing.setGoal({ userId: users[1]!, projectId: project, dailyWords: 3, timeZone: 'UTC' });
        const { store, calls } = counting(db.writing);
        const clock = createManualClock(T0);
        const events: { type: string; actor: string; payload: unknown }[] = [];
        const writing = createWritingService({ store, live: createMemoryLiveSessionStore(), publish: async (e) => void events.push(e), push: async () => {}, actorOf, clock, logger, tickMs: 3_600_000, flushMs: 3_600_000 });
        try {
          for (const dt of [0, 2_000, 4_000]) {
            clock.set(T0 + dt);
            for (const userId of users) writing.recordEdit({ userId, projectId: project, documentId: 'ch1', at: T0 + dt, words: words(2) });
            await writing.flush();
          }
          for (const single of ['getPreferences', 'medianWpm', 'getGoal', 'saveSession']) expect(calls.get(single) ?? 0, single).toBe(0);
          expect(calls.get('getPreferencesMany')).toBe(1);
          expect(calls.get('medianWpmMany')).toBe(1);
          expect(calls.get('goalsFor')).toBe(1);
          expect(calls.get('saveSessions')).toBeLessThanOrEqual(3);

          const sessions = await writing.activeSessions({ projectId: project });
          expect(sessions.map((s) => s.userId).sort()).toEqual(users.slice(1).sort()); // not the opted-out writer
          for (const s of sessions) expect((await db.writing.getSession(s.id))?.endedAt).toBeNull(); // each stored open
          const goalMet = events.filter((e) => e.type === 'analytics.goal_met');
          expect(goalMet.map((e) => e.actor)).toEqual([actorOf(users[1]!)]);
          expect(events.filter((e) => e.type === 'writing.session_started')).toHaveLength(WRITERS - 1);
        } finally {
          await writing.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
});
