import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/document-store.js';
import { lowestUuidv7 } from '../../src/db/repositories/events.js';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { uuidv7 } from '../../src/lib/ids.js';
import { onEveryDatabase, type OpenDatabase } from '../helpers/databases.js';
import { uniqueName } from '../helpers/services.js';

const ACTOR = 'a'.repeat(32);
const at = (iso: string) => Date.parse(iso);

/**
 * The archive's time windows (from/to) page the UUIDv7 id range of the window, plus the events
 * whose id is not of their time (a producer's own id). Both kinds must be listed, once, in id
 * order, with exact bounds.
 */
function windowContract(name: string, open: OpenDatabase): void {
  describe(`event archive time windows: ${name}`, () => {
    let handle: { db: Database; cleanup(): Promise<void> } | undefined;
    const db = () => handle!.db;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    const words = (projectId: string, iso: string, id?: string): StoryloomEvent =>
      createEvent('writing.words_written', {
        actor: ACTOR,
        projectId,
        documentId: 'chapter-1',
        occurredAt: at(iso),
        payload: { sessionId: 's', added: 1, removed: 0, net: 1 },
        ...(id === undefined ? {} : { id }),
      }) as StoryloomEvent;

    it('lists exactly the events in [from, to), whatever their ids, newest id first', async () => {
      const p = uniqueName('p').replace(/_/g, '-');
      const from = at('2025-03-10T00:00:00.000Z');
      const to = at('2025-03-11T00:00:00.000Z');
      const inside = [
        words(p, '2025-03-10T00:00:00.000Z'), // the bound itself
        words(p, '2025-03-10T12:00:00.000Z'),
        words(p, '2025-03-10T23:59:59.999Z'),
        words(p, '2025-03-10T06:00:00.000Z', randomUUID()), // a v4 id: anywhere in the id order
        words(p, '2025-03-10T07:00:00.000Z', uuidv7(at('2024-01-01T00:00:00Z'))), // id of another time, before the range
        words(p, '2025-03-10T08:00:00.000Z', uuidv7(at('2026-01-01T00:00:00Z'))), // ... and after it
        words(p, '2025-03-10T09:00:00.000Z', uuidv7(at('2025-03-10T20:00:00Z'))), // ... and inside it
      ];
      const outside = [
        words(p, '2025-03-09T23:59:59.999Z'),
        words(p, '2025-03-11T00:00:00.000Z'),
        words(p, '2025-03-12T00:00:00.000Z', uuidv7(at('2025-03-10T10:00:00Z'))), // id inside, time outside
        words(p, '2025-03-01T00:00:00.000Z', randomUUID()),
        words(`${p}-other`, '2025-03-10T12:00:00.000Z'),
      ];
      expect(await db().events.append([...inside, ...outside])).toBe(inside.length + outside.length);
      const expected = inside.map((e) => e.id).sort().reverse();

      const whole = await db().events.list({ category: 'writing', projectId: p, from, to, limit: 100 });
      expect(whole.items.map((e) => e.id)).toEqual(expected);
      expect(whole.nextCursor).toBeNull();

      // Paged two at a time with the cursor: the same events, once each.
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await db().events.list({ category: 'writing', projectId: p, from, to, limit: 2, ...(cursor ? { cursor } : {}) });
        paged.push(...page.items.map((e) => e.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual(expected);

      // One bound at a time, and with a type filter.
      const since = await db().events.list({ category: 'writing', projectId: p, from, limit: 100 });
      expect(since.items.map((e) => e.id)).toEqual([...expected, outside[1]!.id, outside[2]!.id].sort().reverse());
      const until = await db().events.list({ category: 'writing', projectId: p, to, limit: 100 });
      expect(until.items.map((e) => e.id)).toEqual([...expected, outside[0]!.id, outside[3]!.id].sort().reverse());
      const typed = await db().events.list({ category: 'writing', type: 'writing.words_written', projectId: p, from, to, limit: 100 });
      expect(typed.items.map((e) => e.id)).toEqual(expected);
      expect((await db().events.list({ category: 'writing', type: 'writing.session_ended', projectId: p, from, to, limit: 100 })).items).toEqual([]);
    });

    it('handles windows at the edges of the id space', async () => {
      const p = uniqueName('p').replace(/_/g, '-');
      const early = words(p, '1970-01-01T00:00:00.005Z');
      await db().events.append([early]);
      expect((await db().events.list({ category: 'writing', projectId: p, from: -1_000, to: 10, limit: 10 })).items.map((e) => e.id)).toEqual([early.id]);
      expect((await db().events.list({ category: 'writing', projectId: p, from: 6, to: at('9999-12-31T00:00:00Z'), limit: 10 })).items).toEqual([]);
    });
  });
}

describe('lowestUuidv7', () => {
  it('is the smallest id of a millisecond, so ids of that ms sort at or after it', () => {
    const ms = at('2025-03-10T12:34:56.789Z');
    expect(lowestUuidv7(ms)).toBe(`${ms.toString(16).padStart(12, '0').slice(0, 8)}-${ms.toString(16).padStart(12, '0').slice(8)}-0000-0000-000000000000`);
    for (let i = 0; i < 100; i++) {
      expect(uuidv7(ms) >= lowestUuidv7(ms)).toBe(true);
      expect(uuidv7(ms - 1) < lowestUuidv7(ms)).toBe(true);
    }
  });
});

onEveryDatabase(windowContract);
