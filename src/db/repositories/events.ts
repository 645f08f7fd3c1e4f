import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { AppError } from '../../lib/errors.js';
import type { EventCategory, EventType, StoryloomEvent } from '../../events/schema.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import type { EventArchive, EventPage, EventQuery } from '../event-archive.js';
import { events } from '../schema/index.js';

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
      const rows = await db
        .select()
        .from(events)
        .where(and(...conditions))
        .orderBy(desc(events.id))
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
