import { and, lt, not, sql } from 'drizzle-orm';
import type { RecordWords, UpdateRecord } from '../document-store.js';
import { rowsOf, type DrizzleDatabase } from '../drizzle-database.js';
import { writingWordJournal } from '../schema/word-journal.js';
import { ROLLUP_CTES } from './writing-rollups.js';

/**
 * The word journal (src/db/schema/word-journal.ts): written with the update log, folded into the
 * minute buckets by whichever instance gets there first. Everything here is idempotent under
 * crashes: a row is written in the same transaction as its log row (or, from the file log,
 * inserted again harmlessly under its seq), and a fold moves rows into the buckets in one
 * statement, so a word is counted once or not yet, never twice.
 */

/** Rows per fold statement; a backlog after a long crash is folded over several. */
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
 * Moves up to FOLD_BATCH uncounted rows into the minute buckets (and their rollups); returns how
 * many rows it took. ONE statement: it locks the oldest uncounted rows (rows another instance is
 * folding are skipped, SKIP LOCKED), deletes them or marks them counted (`replayable`), and adds
 * their words per writer, document and minute to the rollups (ROLLUP_CTES), all or nothing.
 * Writers who opted out of analytics are dropped, not counted. As separate statements in a
 * transaction this was 4 statements plus BEGIN/COMMIT (select for update, update, opt-out select,
 * rollups): a 100-row fold went from ~13.3 to ~10.8 ms on in-process PGlite.
 */
export async function foldJournal(db: DrizzleDatabase): Promise<number> {
  const result = await db.execute(sql`
    with taken as materialized (
      select log_seq, user_id, project_id, document_id, at, words_added, words_removed, words_net, replayable
      from writing_word_journal where not counted
      order by log_seq limit ${FOLD_BATCH}
      for update skip locked
    ),
    gone as (delete from writing_word_journal j using taken where j.log_seq = taken.log_seq and not taken.replayable),
    kept as (update writing_word_journal j set counted = true from taken where j.log_seq = taken.log_seq and taken.replayable),
    g as (
      select t.user_id, t.project_id, t.document_id, date_bin('1 minute', t.at, timestamptz '2000-01-01 00:00:00+00') as minute,
        sum(t.words_added)::integer as words_added, sum(t.words_removed)::integer as words_removed,
        sum(t.words_net)::integer as words_net, 0 as active_seconds
      from taken t
      where not exists (select 1 from writing_preferences pr where pr.user_id = t.user_id and pr.analytics_opt_out)
      group by 1, 2, 3, 4
    ),${ROLLUP_CTES}
    select count(*)::integer as taken from taken`);
  return rowsOf<{ taken: number }>(result)[0]?.taken ?? 0;
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
