import { eq } from 'drizzle-orm';
import type { ClientSighting, DocumentClientStore } from '../document-store.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { documentClients } from '../schema/index.js';

/** Rows per INSERT: 4 bind parameters each, far below Postgres's 65,535. */
const MAX_ROWS_PER_INSERT = 5_000;

/**
 * The DocumentClientStore contract over drizzle (PGlite and Postgres). `record` is idempotent:
 * a sighting of a known (document, client id) is ignored, so the first user seen wins and
 * retries or two instances recording the same client are harmless.
 */
export function createDocumentClientRepository(db: DrizzleDatabase): DocumentClientStore {
  return {
    async record(sightings: readonly ClientSighting[]) {
      const rows = sightings
        .filter((s) => Number.isSafeInteger(s.clientId) && s.clientId >= 0 && s.userId.length > 0)
        .map((s) => ({ documentName: s.documentName, clientId: s.clientId, userId: s.userId, firstSeenAt: new Date(s.seenAt) }));
      for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
        await db.insert(documentClients).values(rows.slice(i, i + MAX_ROWS_PER_INSERT)).onConflictDoNothing();
      }
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
