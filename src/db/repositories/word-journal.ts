import { and, asc, eq, inArray, lt, not, sql } from 'drizzle-orm';
import type { WritingBucketDelta } from '../../services/writing/ports.js';
import type { RecordWords, UpdateRecord } from '../document-store.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingPreferences } from '../schema/index.js';
import { writingWordJournal } from '../schema/word-journal.js';
import { MAX_DELTAS_PER_STATEMENT, addDeltas } from './writing-rollups.js';

/**
 * The word journal (src/db/schema/word-journal.ts): written with the update log, folded into the
 * minute buckets by whichever instance gets there first. Everything here is idempotent under
 * crashes: a row is written in the same transaction as its log row (or, from the file log,
 * inserted again harmlessly under its seq), and a fold moves rows into the buckets in one
 * transaction, so a word is counted once or not yet, never twice.
 */

const MINUTE = 60_000;
/** Rows per fold transaction; a backlog after a long crash is folded over several. */
const FOLD_BATCH = 2_000;
/** Journal rows per INSERT (9 parameters each, well below Postgres's 65,535). */
const MAX_ROWS_PER_INSERT = 5_000;

/** One update's words under its log seq. */
export interface JournalEntry {
  seq: number;
  documentName: string;
  userId: string | null;
  receivedAt: number;
  words?: RecordWords | undefined;
}

type JournalRow = typeof writingWordJournal.$inferInsert;

/** What the embedded file log needs to keep the journal (the SQL document repository has it). */
export interface WordJournalWriter {
  /** Journals the entries' words under their seqs (again harmlessly: a seq already there is kept). */
  recordWords(entries: readonly JournalEntry[]): Promise<void>;
  /** Drops counted rows below `belowSeq`, whose log records are durably folded away. */
  pruneCountedWords(belowSeq: number): Promise<void>;
}

/** The journal rows of logged updates that carry a writer's words (others have none). */
export function journalRows(entries: readonly JournalEntry[], replayable: boolean): JournalRow[] {
  const rows: JournalRow[] = [];
  for (const e of entries) {
    const w = e.words;
    if (w === undefined || e.userId === null || (w.added === 0 && w.removed === 0 && w.net === 0)) continue;
    // Names were checked by the append (`<projectId>/<documentId>`); one without a slash has no writer to credit.
    const slash = e.documentName.indexOf('/');
    if (slash <= 0) continue;
    const projectId = e.documentName.slice(0, slash);
    const documentId = e.documentName.slice(slash + 1);
    rows.push({ logSeq: e.seq, userId: e.userId, projectId, documentId, at: new Date(e.receivedAt), wordsAdded: w.added, wordsRemoved: w.removed, wordsNet: w.net, replayable });
  }
  return rows;
}

/** Whether any record of an append carries words to journal. */
export const hasWords = (records: readonly UpdateRecord[]): boolean => records.some((r) => r.words !== undefined && r.userId !== null);

/** Inserts journal rows; a seq already journaled is left as it is (replays of the file log). */
export async function insertJournal(db: DrizzleDatabase, rows: readonly JournalRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
    await db
      .insert(writingWordJournal)
      .values(rows.slice(start, start + MAX_ROWS_PER_INSERT))
      .onConflictDoNothing({ target: writingWordJournal.logSeq });
  }
}

/**
 * Moves up to FOLD_BATCH uncounted rows into the minute buckets (and their rollups) in one
 * transaction; returns how many rows it took. Rows another instance is folding are skipped
 * (SKIP LOCKED). Writers who opted out of analytics are dropped, not counted.
 */
export async function foldJournal(db: DrizzleDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    const j = writingWordJournal;
    const rows = await tx
      .select()
      .from(j)
      .where(not(j.counted))
      .orderBy(asc(j.logSeq))
      .limit(FOLD_BATCH)
      .for('update', { skipLocked: true });
    if (rows.length === 0) return 0;
    const gone = rows.filter((r) => !r.replayable).map((r) => r.logSeq);
    const kept = rows.filter((r) => r.replayable).map((r) => r.logSeq);
    if (gone.length > 0) await tx.delete(j).where(inArray(j.logSeq, gone));
    if (kept.length > 0) await tx.update(j).set({ counted: true }).where(inArray(j.logSeq, kept));
    const users = [...new Set(rows.map((r) => r.userId))];
    const optedOut = new Set(
      (
        await tx
          .select({ userId: writingPreferences.userId })
          .from(writingPreferences)
          .where(and(inArray(writingPreferences.userId, users), eq(writingPreferences.analyticsOptOut, true)))
      ).map((r) => r.userId),
    );
    const deltas = new Map<string, WritingBucketDelta>();
    for (const r of rows) {
      if (optedOut.has(r.userId)) continue;
      const minute = Math.floor(r.at.getTime() / MINUTE) * MINUTE;
      const key = `${r.projectId}\u0000${r.userId}\u0000${r.documentId}\u0000${minute}`;
      const d = deltas.get(key) ?? { userId: r.userId, projectId: r.projectId, documentId: r.documentId, minute, wordsAdded: 0, wordsRemoved: 0, wordsNet: 0, activeSeconds: 0 };
      d.wordsAdded += r.wordsAdded;
      d.wordsRemoved += r.wordsRemoved;
      d.wordsNet += r.wordsNet;
      deltas.set(key, d);
    }
    const all = [...deltas.values()];
    for (let start = 0; start < all.length; start += MAX_DELTAS_PER_STATEMENT) await addDeltas(tx, all.slice(start, start + MAX_DELTAS_PER_STATEMENT));
    return rows.length;
  });
}

/** Folds until nothing uncounted is left (or `maxRounds` batches); the rows taken. */
export async function foldAll(db: DrizzleDatabase, maxRounds = 50): Promise<number> {
  // Every instance calls this every flush: when nothing waits, one indexed read, no transaction.
  const j = writingWordJournal;
  const [waiting] = await db.select({ seq: j.logSeq }).from(j).where(not(j.counted)).limit(1);
  if (waiting === undefined) return 0;
  let total = 0;
  for (let round = 0; round < maxRounds; round++) {
    const n = await foldJournal(db);
    total += n;
    if (n < FOLD_BATCH) break;
  }
  return total;
}

/** Drops counted replayable rows whose log records are durably gone (every seq below `belowSeq`). */
export async function pruneCounted(db: DrizzleDatabase, belowSeq: number): Promise<void> {
  const j = writingWordJournal;
  await db.delete(j).where(and(j.counted, lt(j.logSeq, belowSeq)));
}

/** Rows not yet counted (tests and /metrics). */
export async function uncountedRows(db: DrizzleDatabase): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(writingWordJournal).where(not(writingWordJournal.counted));
  return row?.n ?? 0;
}
