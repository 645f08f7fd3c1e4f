import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/document-store.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMemoryLiveSessionStore } from '../../src/services/writing/live-store.js';
import type { LiveSessionStore } from '../../src/services/writing/ports.js';
import { createWritingService, type WritingService } from '../../src/services/writing/writing-service.js';
import type { TransactionWords } from '../../src/tracking/writing/word-count.js';
import { onEveryDatabase } from '../helpers/databases.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Issue 20: a session interrupted by a crash ends at its last edit, not at the restart. An
 * instance's writing service runs a session whose words are journaled with their updates (as
 * the server does), then "dies" (never closed); a new instance on the same database ends the
 * session at the last journaled edit, while the words, the writer's day and streak come from the
 * recovered buckets. A session another live instance may still hold is left alone.
 */
const logger = createLogger({ level: 'silent' });
const EMPTY = new Uint8Array([0, 0]);
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0); // yesterday in the test's calendar: a finished day
const words = (net: number): TransactionWords => ({ insertedChars: net * 5, deletedChars: 0, netWords: net, wordsAdded: net, wordsRemoved: 0, paragraphsTouched: [] });

function service(db: Database, live: LiveSessionStore, clock: ReturnType<typeof createManualClock>): WritingService {
  return createWritingService({ store: db.writing, live, publish: async () => {}, push: async () => {}, actorOf: (id) => id, clock, logger, tickMs: 3_600_000, flushMs: 3_600_000 });
}

/** alice writes 3 words at each of `times` (ms after T0): journaled with a log record, seen by `writing`. */
async function write(db: Database, writing: WritingService, clock: ReturnType<typeof createManualClock>, project: string, times: number[]): Promise<void> {
  for (const dt of times) {
    clock.set(T0 + dt);
    await db.documents.appendUpdates([{ documentName: `${project}/ch1`, update: EMPTY, userId: 'alice', receivedAt: T0 + dt, words: { added: 3, removed: 0, net: 3 } }]);
    writing.recordEdit({ userId: 'alice', projectId: project, documentId: 'ch1', at: T0 + dt, words: words(3), journaled: true });
  }
  await writing.flush();
}

onEveryDatabase((name, open) => {
  describe(`sessions cut short by a crash on ${name}`, { timeout: 120_000 }, () => {
    it('end at the last journaled edit when a new instance starts; words, day and streak come from the buckets', async () => {
      const project = uniqueName('cut');
      const { db, cleanup } = await open();
      const clock = createManualClock(T0);
      const dead = service(db, createMemoryLiveSessionStore(), clock);
      try {
        await write(db, dead, clock, project, [0, 4_000, 9_000, 20_000]);
        const [open1] = await dead.activeSessions({ projectId: project });
        expect(open1?.state).not.toBe('ended');
        const stored = await db.writing.getSession(open1!.id);
        expect(stored?.endedAt).toBeNull(); // stored open from its start: a crash leaves a row
        // The instance dies here (never closed). Ten minutes later another one starts.
        clock.set(T0 + 600_000);
        const restarted = service(db, createMemoryLiveSessionStore(), clock);
        try {
          expect(await restarted.endCutShort()).toBe(1);
          const ended = await db.writing.getSession(open1!.id);
          expect(ended).toMatchObject({ state: 'ended', endReason: 'timeout' });
          // Embedded, the journal keeps folded rows until their log segment goes: the exact time.
          // On Postgres a fold deletes them, and the buckets say the minute (never after the edit).
          const last = T0 + 20_000;
          if (name === 'PGlite') expect(ended?.endedAt).toBe(last);
          else expect(ended?.endedAt).toBeGreaterThanOrEqual(Math.floor(last / 60_000) * 60_000);
          expect(ended?.endedAt).toBeLessThanOrEqual(last);
          expect(ended?.summary.lengthMs).toBe(ended!.endedAt! - ended!.startedAt);
          expect(await restarted.endCutShort()).toBe(0); // once
          await db.writing.foldWordJournal!();
          const report = await db.writing.projectWriting({ projectId: project, fromDay: '2026-12-03', toDay: '2026-12-03', timeZone: 'UTC' });
          const alice = report.writers.find((w) => w.userId === 'alice');
          expect(alice?.days.reduce((n, d) => n + d.wordsNet, 0)).toBe(12);
          expect(alice?.sessions).toBe(1);
          expect(alice?.currentStreak).toBe(1);
        } finally {
          await restarted.close();
        }
      } finally {
        await dead.close();
        await cleanup();
      }
    });

    it('leave a session alone while its live record is fresh (another instance holds it, or the writer resumes it)', async () => {
      const project = uniqueName('cut');
      const { db, cleanup } = await open();
      const clock = createManualClock(T0);
      const shared = createMemoryLiveSessionStore();
      const other = service(db, shared, clock);
      try {
        await write(db, other, clock, project, [0, 5_000]);
        const [live] = await other.activeSessions({ projectId: project });
        const second = service(db, shared, clock);
        try {
          expect(await second.endCutShort()).toBe(0);
          expect((await db.writing.getSession(live!.id))?.endedAt).toBeNull();
        } finally {
          await second.close();
        }
      } finally {
        await other.close();
        await cleanup();
      }
    });
  });
});
