import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The audit archive: every event except the sampled `collaboration.cursor_moved`, append-only
 * and idempotent on id (delivery is at least once). Ids are UUIDv7, so ordering by id is
 * ordering by time; every read pages on `id` within one of the indexed filters.
 */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    type: text('type').notNull(),
    category: text('category').notNull(),
    v: integer('v').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    projectId: text('project_id'),
    documentId: text('document_id'),
    actor: text('actor').notNull(),
    payload: jsonb('payload').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('events_category_id_idx').on(t.category, t.id),
    index('events_project_category_id_idx').on(t.projectId, t.category, t.id),
    index('events_type_id_idx').on(t.type, t.id),
  ],
);
