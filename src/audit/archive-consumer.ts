import type { EventArchive } from '../db/event-archive.js';
import type { EventBus, Subscription } from '../events/bus.js';
import { EVENT_CATEGORIES, EVENT_TYPES } from '../events/schema.js';
import type { Logger } from '../lib/logger.js';

/** Sampled, high-volume and worthless a minute later: never archived. */
const NOT_ARCHIVED = new Set(['collaboration.cursor_moved']);

/**
 * Rows per INSERT. A statement binds at most 65,535 parameters and an event row binds 9 (at most
 * 7,281 rows); a read returns up to the bus's batchSize (default 256) per category stream, so
 * 1,280 events over the five streams by default: one statement. The cap only matters for a bus
 * tuned to read more, whose batch then goes in several statements.
 */
const ROWS_PER_INSERT = 2_000;

/**
 * Archives every event for audit. One consumer group (`audit`) shared by every instance, so each
 * event is written once; the insert ignores ids already present, so a redelivery is harmless.
 * A failed insert throws, the bus redelivers later, and the event is not lost.
 *
 * A read's events go in one multi-row INSERT (`handleBatch`): a statement per event cost about
 * 0.85 ms each in PGlite under load. When a batch fails, the bus retries its events one by one
 * (`handle`), so one event the database rejects cannot hold back the rest; rows of the failed
 * batch that did get in (an earlier statement of a split batch) are ignored as already archived.
 */
export function startAuditArchive(deps: { bus: EventBus; archive: EventArchive; logger: Logger }): Subscription {
  return deps.bus.subscribe({
    group: 'audit',
    categories: EVENT_CATEGORIES,
    types: EVENT_TYPES.filter((t) => !NOT_ARCHIVED.has(t)),
    async handle(event) {
      await deps.archive.append([event]);
    },
    async handleBatch(events) {
      for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
        await deps.archive.append(events.slice(i, i + ROWS_PER_INSERT));
      }
    },
  });
}
