import { DrizzleQueryError, and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { AppError, errorMessage } from '../../lib/errors.js';
import type { DocumentStore, LoggedUpdate, StoredDocument, UpdateRecord } from '../document-store.js';
import { documents, documentUpdates } from '../schema/index.js';

/**
 * What every repository needs: a drizzle database on either driver (PGlite or postgres-js).
 * Both drivers' databases are assignable to it.
 */
export type DrizzleDatabase = PgDatabase<PgQueryResultHKT>;

/**
 * Rows per INSERT statement. Postgres allows at most 65,535 bind parameters per statement and a
 * log row takes 4, so very large appends are split into several statements inside the same
 * transaction (still all-or-nothing).
 */
const MAX_ROWS_PER_INSERT = 5_000;

/** Seqs per `DELETE ... WHERE seq IN (...)`: one parameter each, kept well below the limit. */
const MAX_SEQS_PER_DELETE = 10_000;

/**
 * The DocumentStore contract (src/db/document-store.ts) over drizzle, for PGlite and Postgres
 * alike. Rejects with AppError('invalid-document-name') for a name that is not
 * `<projectId>/<documentId>` before touching the database. Database failures reject with an
 * Error whose `cause` is the driver's error (Postgres `code` etc.) but whose message carries no
 * query parameters: those are document contents and must not reach logs.
 */
export function createDocumentRepository(db: DrizzleDatabase): DocumentStore {
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
    // Sorted so concurrent transactions creating the same new documents take the unique-index
    // locks in the same order and cannot deadlock each other.
    const names = [...new Set(records.map((r) => r.documentName))].sort();
    const documentRows = names.map((name) => ({ name, ...splitDocumentName(name) }));
    return db.transaction(async (tx) => {
      await tx.insert(documents).values(documentRows).onConflictDoNothing({ target: documents.name });
      const seqs: number[] = [];
      for (let start = 0; start < records.length; start += MAX_ROWS_PER_INSERT) {
        const chunk = records.slice(start, start + MAX_ROWS_PER_INSERT);
        const inserted = await tx
          .insert(documentUpdates)
          .values(
            chunk.map((r) => ({
              documentName: r.documentName,
              update: r.update,
              userId: r.userId,
              receivedAt: new Date(r.receivedAt),
            })),
          )
          .returning({ seq: documentUpdates.seq });
        // nextval() runs as the VALUES list is scanned, so within one statement the seqs ascend
        // in input order; sorting makes that the mapping even if RETURNING's row order differed.
        seqs.push(...inserted.map((r) => r.seq).sort((a, b) => a - b));
      }
      if (seqs.length !== records.length) {
        throw new Error(`appendUpdates inserted ${seqs.length} rows for ${records.length} records`);
      }
      return seqs;
    });
  }

  async function storeSnapshot(documentName: string, snapshot: Uint8Array, foldedSeqs: number[]): Promise<void> {
    const ids = splitDocumentName(documentName);
    await db.transaction(async (tx) => {
      await tx
        .insert(documents)
        .values({ name: documentName, ...ids, snapshot, snapshotBytes: snapshot.byteLength })
        .onConflictDoUpdate({
          target: documents.name,
          set: { snapshot, snapshotBytes: snapshot.byteLength, updatedAt: sql`now()` },
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
    await db.transaction(async (tx) => {
      await tx.delete(documentUpdates).where(eq(documentUpdates.documentName, documentName));
      await tx.delete(documents).where(eq(documents.name, documentName));
    });
  }

  return {
    load: (name) => withoutQueryText('load', () => load(name)),
    appendUpdates: (records) => withoutQueryText('appendUpdates', () => appendUpdates(records)),
    storeSnapshot: (name, snapshot, folded) =>
      withoutQueryText('storeSnapshot', () => storeSnapshot(name, snapshot, folded)),
    countUpdates: (name) => withoutQueryText('countUpdates', () => countUpdates(name)),
    deleteDocument: (name) => withoutQueryText('deleteDocument', () => deleteDocument(name)),
  };
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

function splitDocumentName(name: string): { projectId: string; documentId: string } {
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) {
    throw new AppError('invalid-document-name', `document name must be "<projectId>/<documentId>": ${JSON.stringify(name)}`);
  }
  return { projectId: name.slice(0, slash), documentId: name.slice(slash + 1) };
}
