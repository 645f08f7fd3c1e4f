import { describe, expect, it } from 'vitest';
import type { Database, UpdateRecord } from '../../src/db/document-store.js';
import { decodeSegment, encodeBatch, encodeHeader } from '../../src/db/update-log/codec.js';
import { onEveryDatabase } from '../helpers/databases.js';
import { uniqueName } from '../helpers/services.js';

/**
 * The word journal (issue 20): words appended with their update are credited exactly once, by
 * whichever fold gets there, also after the database is closed without a fold and reopened
 * (embedded: replayed from the update log's segment records).
 */
const EMPTY = new Uint8Array([0, 0]);

const record = (documentName: string, userId: string | null, net: number, receivedAt = Date.now()): UpdateRecord => ({
  documentName,
  update: EMPTY,
  userId,
  receivedAt,
  words: { added: Math.max(net, 0), removed: Math.max(-net, 0), net },
});

async function netOf(db: Database, projectId: string, documentId: string): Promise<Record<string, number>> {
  const rows = await db.writing.documentContributions(projectId, documentId);
  return Object.fromEntries(rows.map((r) => [r.userId, r.wordsNet]));
}

describe('update log codec: words', () => {
  it('round-trips the words of an update record and reads records without them', () => {
    const withWords = { kind: 'update' as const, seq: 7, documentName: 'p/d', update: new Uint8Array([1, 2, 3]), userId: 'alice', receivedAt: 1_000, words: { added: 5, removed: 2, net: 3 } };
    const without = { kind: 'update' as const, seq: 8, documentName: 'p/d', update: new Uint8Array([4]), userId: null, receivedAt: 2_000 };
    const file = Buffer.concat([encodeHeader(1), encodeBatch([withWords, without])]);
    const decoded = decodeSegment(file);
    expect(decoded.tornTail).toBeUndefined();
    expect(decoded.batches).toEqual([[withWords, without]]);
  });
});

onEveryDatabase((name, open) => {
  // PGlite opens (and migrates) in each test: slow on a loaded machine.
  describe(`word journal on ${name}`, { timeout: 120_000 }, () => {
    it('credits appended words once, whoever folds and however often', async () => {
      const project = uniqueName('wj');
      const doc = `${project}/chapter`;
      const { db, cleanup } = await open();
      try {
        await db.documents.appendUpdates([record(doc, 'alice', 4), record(doc, 'bob', 2), record(doc, null, 9)]);
        await db.documents.appendUpdates([record(doc, 'alice', -1)]);
        expect(await netOf(db, project, 'chapter')).toEqual({});
        await Promise.all([db.writing.foldWordJournal!(), db.writing.foldWordJournal!()]);
        await db.writing.foldWordJournal!();
        expect(await netOf(db, project, 'chapter')).toEqual({ alice: 3, bob: 2 });
      } finally {
        await cleanup();
      }
    });

    it('credits words appended before a close without a fold after reopening, once', async () => {
      const project = uniqueName('wj');
      const doc = `${project}/chapter`;
      const first = await open();
      await first.db.documents.appendUpdates([record(doc, 'carol', 6)]);
      await first.cleanup();
      const second = await open();
      try {
        await second.db.writing.foldWordJournal!();
        await second.db.documents.appendUpdates([record(doc, 'carol', 1)]);
        await second.db.writing.foldWordJournal!();
        expect(await netOf(second.db, project, 'chapter')).toEqual({ carol: 7 });
      } finally {
        await second.cleanup();
      }
      // Reopened again: the records are still in the log (not compacted), and not counted twice.
      const third = await open();
      try {
        await third.db.writing.foldWordJournal!();
        expect(await netOf(third.db, project, 'chapter')).toEqual({ carol: 7 });
      } finally {
        await third.cleanup();
      }
    });

    it('folds words into their writer, document and minute, also several in one minute', async () => {
      // The fold groups journal rows into minute buckets in SQL: 18:29:10 and 18:29:50 are one
      // minute (one active minute), 18:30:10 the next, which is the next day in Kolkata (+5:30).
      const project = uniqueName('wj');
      const [doc, other] = [`${project}/chapter`, `${project}/notes`];
      const { db, cleanup } = await open();
      try {
        const frank = uniqueName('frank');
        await db.writing.setGoal({ userId: frank, projectId: project, dailyWords: 10, timeZone: 'Asia/Kolkata' });
        const t = Date.parse('2025-03-10T18:29:10Z');
        await db.documents.appendUpdates([record(doc, frank, 4, t), record(doc, frank, 3, t + 40_000), record(doc, frank, -1, t + 60_000), record(other, frank, 2, t)]);
        await db.writing.foldWordJournal!();
        const minute = Date.parse('2025-03-10T18:29:00Z');
        expect(await db.writing.wordsBetween(frank, project, minute, minute + 60_000)).toBe(9);
        expect(await db.writing.wordsBetween(frank, project, minute + 60_000, minute + 120_000)).toBe(-1);
        expect(await db.writing.documentContributions(project, 'chapter')).toEqual([{ userId: frank, wordsAdded: 7, wordsRemoved: 1, wordsNet: 6, activeMinutes: 2 }]);
        const { writers } = await db.writing.projectWriting({ projectId: project, fromDay: '2025-03-10', toDay: '2025-03-11', timeZone: 'Asia/Kolkata' });
        expect(writers.map((w) => w.days.map((d) => [d.day, d.wordsNet]))).toEqual([
          [
            ['2025-03-10', 9],
            ['2025-03-11', -1],
          ],
        ]);
      } finally {
        await cleanup();
      }
    });

    it('drops the words of a writer who opted out of analytics', async () => {
      const project = uniqueName('wj');
      const doc = `${project}/chapter`;
      const { db, cleanup } = await open();
      try {
        const dave = uniqueName('dave');
        await db.writing.setPreferences({ userId: dave, analyticsOptOut: true, timeZone: 'UTC' });
        await db.documents.appendUpdates([record(doc, dave, 5), record(doc, 'erin', 1)]);
        await db.writing.foldWordJournal!();
        expect(await netOf(db, project, 'chapter')).toEqual({ erin: 1 });
      } finally {
        await cleanup();
      }
    });
  });
});
