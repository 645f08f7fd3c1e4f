import { index, integer, pgTable, text, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { bytea } from './documents.js';

/**
 * Stored versions of a document: the Yjs state at a moment, with what the list shows. A row is a
 * snapshot (`base_id` null, `state` is the whole state) or a delta against the snapshot
 * `base_id` (`state` is `Y.encodeStateAsUpdate(doc, stateVectorOf(base))`): a small edit then
 * stores a small row (docs/versions.md, "Storage"). The foreign key keeps a snapshot while a
 * delta needs it; `size` is the bytes of `state` before compression. `kind` is `named` (a person or a workflow chose to keep it; never
 * thinned) or `auto` (thinned by the retention policy, services/versions/retention.ts).
 * `words_changed` is against the version that was newest when this one was made.
 */
export const documentVersions = pgTable(
  'document_versions',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    documentId: text('document_id').notNull(),
    name: text('name'),
    kind: text('kind', { enum: ['named', 'auto'] }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    words: integer('words').notNull(),
    wordsChanged: integer('words_changed').notNull(),
    baseId: text('base_id').references((): AnyPgColumn => documentVersions.id),
    state: bytea('state').notNull(),
    size: integer('size').notNull(),
  },
  // Keyset paging of a document's list, newest first (created_at, id breaks ties).
  // base_id: the foreign key's check when a snapshot is deleted, and retention's "still needed?".
  (table) => [
    index('document_versions_document_created_idx').on(table.projectId, table.documentId, table.createdAt.desc(), table.id.desc()),
    index('document_versions_base_idx').on(table.baseId),
  ],
);
