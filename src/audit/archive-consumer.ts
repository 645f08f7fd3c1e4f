import type { EventArchive } from '../db/event-archive.js';
import type { EventBus, Subscription } from '../events/bus.js';
import { EVENT_CATEGORIES, EVENT_TYPES } from '../events/schema.js';
import type { Logger } from '../lib/logger.js';

/** Sampled, high-volume and worthless a minute later: never archived. */
const NOT_ARCHIVED = new Set(['collaboration.cursor_moved']);

/**
 * Archives every event for audit. One consumer group (`audit`) shared by every instance, so each
 * event is written once; the insert ignores ids already present, so a redelivery is harmless.
 * A failed insert throws, the bus redelivers later, and the event is not lost.
 */
export function startAuditArchive(deps: { bus: EventBus; archive: EventArchive; logger: Logger }): Subscription {
  return deps.bus.subscribe({
    group: 'audit',
    categories: EVENT_CATEGORIES,
    types: EVENT_TYPES.filter((t) => !NOT_ARCHIVED.has(t)),
    async handle(event) {
      await deps.archive.append([event]);
    },
  });
}
