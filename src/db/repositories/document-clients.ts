import { eq, sql } from 'drizzle-orm';
import type { ClientWriterClaim } from '../../services/writing/client-writers.js';
import type { ClientSighting, DocumentClientStore } from '../document-store.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { documentClients } from '../schema/index.js';

/** Rows per INSERT: 4 bind parameters each, far below Postgres's 65,535. */
const MAX_ROWS_PER_INSERT = 5_000;

type Row = typeof documentClients.$inferInsert;

/** Valid sightings as rows, each (document, client id) once (its first sighting: first wins). */
function rowsOf(sightings: readonly ClientSighting[]): Row[] {
  const rows = new Map<string, Row>();
  for (const s of sightings) {
    if (!Number.isSafeInteger(s.clientId) || s.clientId < 0 || s.userId.length === 0) continue;
    const key = `${s.clientId}\u0000${s.documentName}`;
    if (!rows.has(key)) rows.set(key, { documentName: s.documentName, clientId: s.clientId, userId: s.userId, firstSeenAt: new Date(s.seenAt) });
  }
  return [...rows.values()];
}

/**
 * The DocumentClientStore contract over drizzle (PGlite and Postgres). `record` is idempotent:
 * a sighting of a known (document, client id) is ignored, so the first user seen wins and
 * retries or two instances recording the same client are harmless.
 */
export function createDocumentClientRepository(db: DrizzleDatabase): DocumentClientStore {
  return {
    async record(sightings: readonly ClientSighting[]) {
      const rows = rowsOf(sightings);
      for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
        await db.insert(documentClients).values(rows.slice(i, i + MAX_ROWS_PER_INSERT)).onConflictDoNothing();
      }
    },
    async claim(sightings: readonly ClientSighting[]) {
      const rows = rowsOf(sightings);
      const claims: ClientWriterClaim[] = [];
      for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
        // DO NOTHING would return only the inserted rows, and a separate SELECT may miss a row a
        // concurrent instance commits meanwhile; a no-op DO UPDATE (which keeps the stored user)
        // locks and returns the winner of every row in the same statement. It rewrites the row
        // only on a conflict, i.e. when another instance claimed first: rare. (The rows are
        // deduplicated above: DO UPDATE refuses to touch a row twice in one statement.)
        const stored = await db
          .insert(documentClients)
          .values(rows.slice(i, i + MAX_ROWS_PER_INSERT))
          .onConflictDoUpdate({ target: [documentClients.documentName, documentClients.clientId], set: { userId: sql.raw(`"document_clients"."user_id"`) } })
          .returning({ documentName: documentClients.documentName, clientId: documentClients.clientId, userId: documentClients.userId });
        for (const r of stored) claims.push({ documentName: r.documentName, clientId: Number(r.clientId), userId: r.userId });
      }
      return claims;
    },
    async load(documentName: string) {
      const rows = await db
        .select({ clientId: documentClients.clientId, userId: documentClients.userId })
        .from(documentClients)
        .where(eq(documentClients.documentName, documentName));
      return new Map(rows.map((r) => [Number(r.clientId), r.userId]));
    },
    async deleteDocument(documentName: string) {
      await db.delete(documentClients).where(eq(documentClients.documentName, documentName));
    },
  };
}
