import { and, desc, eq, gte, inArray, lt, not, or, sql, type SQL } from 'drizzle-orm';
import { AppError } from '../../lib/errors.js';
import type { EventCategory, EventType, StoryloomEvent } from '../../events/schema.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import type { EventArchive, EventPage, EventQuery } from '../event-archive.js';
import { events } from '../schema/index.js';
import { EVENT_ID_NOT_OF_TIME } from '../schema/events.js';

/**
 * `id >= lowest UUIDv7 of from's ms` and `id < lowest UUIDv7 of to's ms`: exactly the ids
 * createEvent gives events with occurred_at in [from, to). Empty without a window.
 */
function timeWindowIds(from: number | undefined, to: number | undefined): SQL[] {
  const bounds: SQL[] = [];
  if (from !== undefined && from > 0) bounds.push(gte(events.id, lowestUuidv7(Math.min(Math.ceil(from), MAX_MS))));
  if (to !== undefined && Math.ceil(to) <= MAX_MS) bounds.push(lt(events.id, lowestUuidv7(Math.max(0, Math.ceil(to)))));
  return bounds;
}

const MAX_MS = 2 ** 48 - 1;

/** The smallest UUID whose first 48 bits are `ms` (0 <= ms < 2^48). */
export function lowestUuidv7(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The audit archive over drizzle. Paging is keyset on `id` (UUIDv7, time-ordered), newest
 * first: a page costs the same at the end of a year of events as at the start, unlike OFFSET.
 */
export function createEventArchiveRepository(db: DrizzleDatabase): EventArchive {
  return {
    async append(batch) {
      if (batch.length === 0) return 0;
      const inserted = await db
        .insert(events)
        .values(
          batch.map((e) => ({
            id: e.id,
            type: e.type,
            category: e.category,
            v: e.v,
            occurredAt: new Date(e.occurredAt),
            projectId: e.projectId ?? null,
            documentId: e.documentId ?? null,
            actor: e.actor,
            payload: e.payload,
          })),
        )
        .onConflictDoNothing({ target: events.id })
        .returning({ id: events.id });
      return inserted.length;
    },

    async list(query: EventQuery): Promise<EventPage> {
      if (query.cursor !== undefined && !UUID.test(query.cursor)) {
        throw new AppError('validation-failed', 'cursor is not a cursor this API returned', { cursor: query.cursor });
      }
      const conditions: SQL[] = [eq(events.category, query.category)];
      if (query.type) conditions.push(eq(events.type, query.type));
      if (query.projectId) conditions.push(eq(events.projectId, query.projectId));
      if (query.documentId) conditions.push(eq(events.documentId, query.documentId));
      if (query.from !== undefined) conditions.push(gte(events.occurredAt, new Date(query.from)));
      if (query.to !== undefined) conditions.push(lt(events.occurredAt, new Date(query.to)));
      if (query.cursor) conditions.push(lt(events.id, query.cursor));
      if (query.onlyOwn && query.onlyOwn.types.length > 0) {
        conditions.push(or(eq(events.actor, query.onlyOwn.actor), not(inArray(events.type, [...query.onlyOwn.types])))!);
      }
      const idRange = timeWindowIds(query.from, query.to);
      const rows =
        idRange.length === 0
          ? await db
              .select()
              .from(events)
              .where(and(...conditions))
              .orderBy(desc(events.id))
              .limit(query.limit + 1)
          : // A time window: the ids of its events are the UUIDv7 range of its ms (createEvent), so
            // the page is a short backward walk of that id range instead of the archive from its
            // newest end; the few events whose id is not of their time (a producer's own id) come
            // from their partial index, outside that range so nothing is listed twice. The range
            // part is limited on its own (an Index Scan Backward that stops at the page); the
            // other is left unordered, or the planner walks the whole primary key for it.
            await db
              .select()
              .from(
                db
                  .select()
                  .from(events)
                  .where(and(...conditions, ...idRange))
                  .orderBy(desc(events.id))
                  .limit(query.limit + 1)
                  .unionAll(
                    db
                      .select()
                      .from(events)
                      .where(and(...conditions, EVENT_ID_NOT_OF_TIME, sql`not (${and(...idRange)})`)),
                  )
                  .as('e'),
              )
              .orderBy(sql`"id" desc`)
              .limit(query.limit + 1);
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => ({
          id: r.id,
          type: r.type as EventType,
          category: r.category as EventCategory,
          v: r.v,
          occurredAt: r.occurredAt.toISOString(),
          ...(r.projectId ? { projectId: r.projectId } : {}),
          ...(r.documentId ? { documentId: r.documentId } : {}),
          actor: r.actor,
          payload: r.payload as Record<string, unknown>,
        })) as StoryloomEvent[],
        nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
      };
    },
  };
}
