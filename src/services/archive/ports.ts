import type { EventCategory, EventType, StoryloomEvent } from '../../events/schema.js';

export interface EventQuery {
  category: EventCategory;
  type?: EventType;
  projectId?: string;
  documentId?: string;
  /** Inclusive lower bound on occurredAt, ms since the epoch. */
  from?: number;
  /** Exclusive upper bound on occurredAt. */
  to?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  limit: number;
  /**
   * Events of these types are listed only when `actor` published them (a writer's own events);
   * every other type is listed as usual. Set by the archive query service for callers who may
   * not see other writers' numbers (src/lib/visibility.ts).
   */
  onlyOwn?: { actor: string; types: readonly EventType[] };
}

export interface EventPage {
  /** Newest first. */
  items: StoryloomEvent[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The append-only audit archive (Postgres/PGlite `events` table); implemented in db/. */
export interface EventArchive {
  /** Inserts the events, ignoring ids already archived (delivery is at least once). Returns how many were new. */
  append(events: StoryloomEvent[]): Promise<number>;
  list(query: EventQuery): Promise<EventPage>;
}
