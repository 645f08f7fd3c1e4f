import { DrizzleQueryError, and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import { AppError, errorMessage } from '../../lib/errors.js';
import type { DocumentStore, LoggedUpdate, StoredDocument, UpdateRecord } from '../document-store.js';
import { documents, documentUpdates } from '../schema/index.js';
import { claimWordRanges } from './word-ranges.js';
import { hasWords, insertJournal, journalRows, pruneCounted, type WordJournalWriter } from './word-journal.js';

import type { DrizzleDatabase } from '../drizzle-database.js';

/**
 * Rows per INSERT statement. Postgres allows at most 65,535 bind parameters per statement and a
 * log row takes 4, so very large appends are split into several statements inside the same
 * transaction (still all-or-nothing).
 */
const MAX_ROWS_PER_INSERT = 5_000;

/** Document names remembered as having a row (~100 bytes each): far more than are open at once. */
const MAX_KNOWN = 10_000;

/** Seqs per `DELETE ... WHERE seq IN (...)`: one parameter each, kept well below the limit. */
const MAX_SEQS_PER_DELETE = 10_000;

/**
 * The DocumentStore contract (src/db/document-store.ts) over drizzle, for PGlite and Postgres
 * alike. Rejects with AppError('invalid-document-name') for a name that is not
 * `<projectId>/<documentId>` before touching the database. Database failures reject with an
 * Error whose `cause` is the driver's error (Postgres `code` etc.) but whose message carries no
 * query parameters: those are document contents and must not reach logs.
 */
export function createDocumentRepository(db: DrizzleDatabase): DocumentStore & WordJournalWriter {
  /**
   * Documents whose `documents` row this process has seen exist. For them an append is one
   * INSERT statement (atomic on its own) instead of a transaction with an upsert: four round
   * trips become one on the hot path of every keystroke. A row deleted by another process meanwhile
   * only means log rows without a snapshot row, which `load` reads the same way. Bounded: past
   * MAX_KNOWN names it starts over (forgetting costs a document one upsert on its next append),
   * so an instance up for months does not keep every document name it ever wrote.
   */
  const known = new Set<string>();

  /**
   * The keystroke path's statement (one row: group commit rarely finds a second update waiting),
   * built once. Building it with drizzle per append cost ~0.2 ms of event-loop time per edit.
   */
  const appendOne = db
    .insert(documentUpdates)
    .values({
      documentName: sql.placeholder('documentName'),
      update: sql.placeholder('update'),
      userId: sql.placeholder('userId'),
      receivedAt: sql.placeholder('receivedAt'),
    })
    .returning({ seq: documentUpdates.seq })
    .prepare('storyloom_append_update');

  async function load(documentName: string): Promise<StoredDocument> {
    // One snapshot of the database for both reads: otherwise a compaction committing between
    // them could hand out the old snapshot without the log rows it just folded and deleted.
    return db.transaction(
      async (tx) => {
        const [row] = await tx
          .select({ snapshot: documents.snapshot })
          .from(documents)
          .where(eq(documents.name, documentName));
        const rows = await tx
          .select({
            seq: documentUpdates.seq,
            update: documentUpdates.update,
            userId: documentUpdates.userId,
            receivedAt: documentUpdates.receivedAt,
          })
          .from(documentUpdates)
          .where(eq(documentUpdates.documentName, documentName))
          .orderBy(asc(documentUpdates.seq));
        const updates: LoggedUpdate[] = rows.map((r) => ({
          seq: r.seq,
          update: r.update,
          userId: r.userId,
          receivedAt: r.receivedAt.getTime(),
        }));
        return { snapshot: row?.snapshot ?? null, updates };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  }

  async function appendUpdates(records: UpdateRecord[]): Promise<number[]> {
    if (records.length === 0) return [];
    // Words go to the journal in the log rows' own transaction: credited exactly when logged.
    const journaled = hasWords(records);
    if (records.length === 1 && !journaled && known.has(records[0]!.documentName)) {
      const r = records[0]!;
      const [row] = await appendOne.execute({ documentName: r.documentName, update: r.update, userId: r.userId, receivedAt: new Date(r.receivedAt) });
      if (row === undefined) throw new Error('appendUpdates inserted no row');
      return [row.seq];
    }
    // Sorted so concurrent transactions creating the same new documents take the unique-index
    // locks in the same order and cannot deadlock each other.
    const names = [...new Set(records.map((r) => r.documentName))].sort();
    const documentRows = names.map((name) => ({ name, ...splitDocumentName(name) }));
    const allKnown = names.every((n) => known.has(n));
    if (records.length <= MAX_ROWS_PER_INSERT && allKnown && !journaled) {
      return insertLogRows(db, records);
    }
    const seqs = await db.transaction(async (tx) => {
      if (!allKnown) await tx.insert(documents).values(documentRows).onConflictDoNothing({ target: documents.name });
      const seqs: number[] = [];
      for (let start = 0; start < records.length; start += MAX_ROWS_PER_INSERT) {
        seqs.push(...(await insertLogRows(tx, records.slice(start, start + MAX_ROWS_PER_INSERT))));
      }
      if (seqs.length !== records.length) {
        throw new Error(`appendUpdates inserted ${seqs.length} rows for ${records.length} records`);
      }
      if (journaled) {
        // Several instances: only the words no instance journaled yet for the same structs.
        const toJournal = await claimWordRanges(tx, records);
        await insertJournal(tx, journalRows(toJournal.map((r, i) => ({ ...r, seq: seqs[i]! })), false));
      }
      return seqs;
    });
    if (known.size + names.length > MAX_KNOWN) known.clear();
    for (const name of names) known.add(name);
    return seqs;
  }

  async function storeSnapshot(documentName: string, snapshot: Uint8Array, foldedSeqs: number[]): Promise<void> {
    const ids = splitDocumentName(documentName);
    await db.transaction(async (tx) => {
      // Another instance may have stored a snapshot holding updates this one has not received
      // yet (and folded their log rows away). Overwriting it would lose them, so the new
      // snapshot is merged with the stored one, under the row lock.
      const [current] = await tx
        .select({ snapshot: documents.snapshot })
        .from(documents)
        .where(eq(documents.name, documentName))
        .for('update');
      const merged = current?.snapshot ? Y.mergeUpdates([current.snapshot, snapshot]) : snapshot;
      await tx
        .insert(documents)
        .values({ name: documentName, ...ids, snapshot: merged, snapshotBytes: merged.byteLength })
        .onConflictDoUpdate({
          target: documents.name,
          set: { snapshot: merged, snapshotBytes: merged.byteLength, updatedAt: sql`now()` },
        });
      for (let start = 0; start < foldedSeqs.length; start += MAX_SEQS_PER_DELETE) {
        const chunk = foldedSeqs.slice(start, start + MAX_SEQS_PER_DELETE);
        // The name condition matters: a seq of another document must never be deleted here.
        await tx
          .delete(documentUpdates)
          .where(and(eq(documentUpdates.documentName, documentName), inArray(documentUpdates.seq, chunk)));
      }
    });
  }

  async function countUpdates(documentName: string): Promise<number> {
    const [row] = await db
      .select({ n: count() })
      .from(documentUpdates)
      .where(eq(documentUpdates.documentName, documentName));
    return row?.n ?? 0;
  }

  async function deleteDocument(documentName: string): Promise<void> {
    known.delete(documentName);
    await db.transaction(async (tx) => {
      await tx.delete(documentUpdates).where(eq(documentUpdates.documentName, documentName));
      await tx.delete(documents).where(eq(documents.name, documentName));
    });
  }

  return {
    load: (name) => withoutQueryText('load', () => load(name)),
    appendUpdates: (records) => withoutQueryText('appendUpdates', () => appendUpdates(records)),
    recordWords: (entries) => withoutQueryText('recordWords', () => insertJournal(db, journalRows(entries, true))),
    pruneCountedWords: (belowSeq) => withoutQueryText('pruneCountedWords', () => pruneCounted(db, belowSeq)),
    storeSnapshot: (name, snapshot, folded) =>
      withoutQueryText('storeSnapshot', () => storeSnapshot(name, snapshot, folded)),
    countUpdates: (name) => withoutQueryText('countUpdates', () => countUpdates(name)),
    deleteDocument: (name) => withoutQueryText('deleteDocument', () => deleteDocument(name)),
  };
}

/**
 * One multi-row INSERT of log rows. nextval() runs as the VALUES list is scanned, so within one
 * statement the seqs ascend in input order; sorting makes that the mapping even if RETURNING's
 * row order differed.
 */
async function insertLogRows(db: DrizzleDatabase, records: UpdateRecord[]): Promise<number[]> {
  const inserted = await db
    .insert(documentUpdates)
    .values(
      records.map((r) => ({
        documentName: r.documentName,
        update: r.update,
        userId: r.userId,
        receivedAt: new Date(r.receivedAt),
      })),
    )
    .returning({ seq: documentUpdates.seq });
  return inserted.map((r) => r.seq).sort((a, b) => a - b);
}

/**
 * drizzle's DrizzleQueryError message embeds every bound parameter: update bytes (megabytes of
 * them, rendered as decimal text) and user ids. Replace it with the driver error's own message
 * and keep the driver error as `cause` for its SQLSTATE code.
 */
async function withoutQueryText<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DrizzleQueryError) {
      throw new Error(`${operation} failed: ${errorMessage(error.cause ?? 'unknown database error')}`, {
        cause: error.cause,
      });
    }
    throw error;
  }
}

/** `<projectId>/<documentId>` split; AppError('invalid-document-name') otherwise. */
export function splitDocumentName(name: string): { projectId: string; documentId: string } {
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) {
    throw new AppError('invalid-document-name', `document name must be "<projectId>/<documentId>": ${JSON.stringify(name)}`);
  }
  return { projectId: name.slice(0, slash), documentId: name.slice(slash + 1) };
}

