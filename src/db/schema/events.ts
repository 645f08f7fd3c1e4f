import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * True for an event whose id is not a UUIDv7 of its own occurred_at (the id's first 48 bits are
 * the Unix ms). createEvent always derives the id that way, but the bus accepts any UUID (a
 * producer may pass its own id), so time-window reads cannot rely on it: they page the id range
 * of the window and add these rows, found through the partial index below (normally empty).
 * Immutable (no time zone involved), as an index predicate must be; the text must stay
 * identical to the query's (src/db/repositories/events.ts) for the planner to use the index.
 */
export const EVENT_ID_NOT_OF_TIME = sql.raw(
  `(('x' || translate(left(id::text, 13), '-', ''))::bit(48)::bigint <> floor(extract(epoch from (occurred_at - '1970-01-01 00:00:00+00'::timestamptz)) * 1000)::bigint)`,
);

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
    index('events_foreign_id_category_time_idx').on(t.category, t.occurredAt).where(EVENT_ID_NOT_OF_TIME),
  ],
);
