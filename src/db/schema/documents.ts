import { bigserial, customType, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * `bytea` as a plain Uint8Array on both drivers. PGlite already returns Uint8Array; postgres-js
 * returns a Buffer, often a view into Node's shared allocation pool, so it is copied: callers
 * compare with `toEqual`, hand bytes to Yjs and may keep them for a long time, and a pooled view
 * would pin (and expose) unrelated memory.
 */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType() {
    return 'bytea';
  },
  toDriver(value) {
    return value;
  },
  fromDriver(value) {
    return Buffer.isBuffer(value) ? new Uint8Array(value) : value;
  },
});

/**
 * One row per document that has ever been written: the latest snapshot (if compaction has run).
 * `name` is `<projectId>/<documentId>`; the parts are kept too so project-level queries need no
 * string parsing.
 */
export const documents = pgTable('documents', {
  name: text('name').primaryKey(),
  projectId: text('project_id').notNull(),
  documentId: text('document_id').notNull(),
  snapshot: bytea('snapshot'),
  snapshotBytes: integer('snapshot_bytes').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * The append-only update log: the source of truth for everything newer than the snapshot.
 * No foreign key to `documents`: the log is written on the hot path and a FK check per row buys
 * nothing the repository's single transaction does not already guarantee.
 */
export const documentUpdates = pgTable(
  'document_updates',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    documentName: text('document_name').notNull(),
    update: bytea('update').notNull(),
    userId: text('user_id'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [index('document_updates_document_name_seq_idx').on(table.documentName, table.seq)],
);
