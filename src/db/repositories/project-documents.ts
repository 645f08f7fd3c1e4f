import { eq } from 'drizzle-orm';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { documents } from '../schema/documents.js';

/** "chapter-2" before "chapter-10": the order a person numbering chapters means. */
const naturally = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * The ids of a project's documents that have been stored (have a snapshot row: every document
 * gets one shortly after its first edit), in natural order of their ids — the default reading
 * order of a book when a caller does not give one.
 */
export function createProjectDocumentsQuery(db: DrizzleDatabase): (projectId: string) => Promise<string[]> {
  return async (projectId) => {
    const rows = await db.select({ id: documents.documentId }).from(documents).where(eq(documents.projectId, projectId));
    return rows.map((row) => row.id).sort(naturally.compare);
  };
}
