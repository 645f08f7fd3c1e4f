import type { EventArchive } from '../../archive/ports.js';
import type { SaleRecord, SalesReadPort } from './ports.js';

/** Pages read at most (a project with more sales events in 8 days than this is not a book). */
const MAX_PAGES = 50;
const PAGE = 500;

/** The `sales.daily` read port over the audit archive (db.events), newest page first. */
export function createArchiveSales(archive: Pick<EventArchive, 'list'>): SalesReadPort {
  return {
    async salesBetween(projectId, from, to) {
      const out: SaleRecord[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await archive.list({ category: 'publishing', type: 'publishing.sales_recorded', projectId, from, to, limit: PAGE, ...(cursor ? { cursor } : {}) });
        for (const event of result.items) {
          const units = (event.payload as { units?: unknown }).units;
          if (typeof units === 'number') out.push({ eventId: event.id, occurredAt: Date.parse(event.occurredAt), units });
        }
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      return out;
    },
  };
}
