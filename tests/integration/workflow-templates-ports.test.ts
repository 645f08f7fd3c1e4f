import { expect, it } from 'vitest';
import { createEvent } from '../../src/events/schema.js';
import { createManualClock, systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import type { ActionContext, ActionHandler } from '../../src/services/workflows/action-handlers.js';
import { createDatabaseAction } from '../../src/services/workflows/actions/database.js';
import { createLiveManuscripts } from '../../src/services/workflows/actions/manuscripts.js';
import { createNotifyActions } from '../../src/services/workflows/actions/notify.js';
import { createArchiveSales } from '../../src/services/workflows/actions/sales.js';
import type { Json } from '../../src/workflows/definition.js';
import { onEveryDatabase } from '../helpers/databases.js';

/**
 * What the sales-spike and conflict-alert templates add to the actions, on real storage (PGlite,
 * and Postgres when DATABASE_URL is set): `database` sales.daily over the audit archive (days in
 * the zone, the median, the triggering sale counted once), and the notify actions' `actors`
 * resolved through the notification store's sightings.
 */

const logger = createLogger({ level: 'silent' });
const ctx: ActionContext = { runId: 'run-1', workflowId: 'wf-1', projectId: 'shop', stepId: 'sales', attempt: 1, signal: new AbortController().signal };

async function invoke(handler: ActionHandler, input: unknown): Promise<Record<string, Json>> {
  const parsed = handler.spec.input.safeParse(input);
  if (!parsed.success) throw new Error(parsed.error.message);
  const output = await handler.run(parsed.data as Json, ctx);
  expect(handler.spec.output!.safeParse(output).success).toBe(true);
  return output as Record<string, Json>;
}

const unused = async (): Promise<never> => {
  throw new Error('not used by these operations');
};

onEveryDatabase((_name, open) => {
  it('sales.daily: units per day in the zone from the archive, the 7-day median, the trigger counted once', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      // 2026-03-29 10:00 UTC is 12:00 in Berlin, the day summer time starts there.
      const now = Date.parse('2026-03-29T10:00:00Z');
      const sale = (units: number, at: string, projectId = 'shop') =>
        createEvent('publishing.sales_recorded', { actor: 'system', projectId, occurredAt: Date.parse(at), payload: { platform: 'kdp', units, revenueCents: units * 300, currency: 'EUR' } });
      const today = sale(30, '2026-03-29T08:00:00Z');
      await db.events.append([
        sale(5, '2026-03-22T00:30:00Z'), // 01:30 on the 22nd in Berlin: the first of the 7 days
        sale(4, '2026-03-21T22:30:00Z'), // 23:30 on the 21st in Berlin: before the window
        sale(2, '2026-03-24T12:00:00Z'),
        sale(2, '2026-03-24T13:00:00Z'),
        sale(6, '2026-03-26T12:00:00Z'),
        sale(3, '2026-03-28T22:59:00Z'), // 23:59 on the 28th in Berlin
        sale(1, '2026-03-28T23:00:00Z'), // 00:00 on the 29th: today
        sale(99, '2026-03-27T12:00:00Z', 'other-shop'),
        today,
      ]);
      const action = createDatabaseAction({
        writing: { projectWriting: unused, wordsBetween: unused, listGoals: unused, goalProgress: unused },
        manuscripts: createLiveManuscripts({ live: { snapshot: unused }, documentIds: unused }),
        clock: createManualClock(now),
        sales: createArchiveSales(db.events),
      });
      const include = { eventId: today.id, occurredAt: today.occurredAt, units: 30 };
      const out = await invoke(action, { operation: 'sales.daily', params: { days: 7, timeZone: 'Europe/Berlin', include } });
      expect(out.result).toEqual({
        timeZone: 'Europe/Berlin',
        today: { day: '2026-03-29', units: 31 },
        previous: [
          { day: '2026-03-22', units: 5 },
          { day: '2026-03-23', units: 0 },
          { day: '2026-03-24', units: 4 },
          { day: '2026-03-25', units: 0 },
          { day: '2026-03-26', units: 6 },
          { day: '2026-03-27', units: 0 },
          { day: '2026-03-28', units: 3 },
        ],
        median: 3,
        ratio: 10.33,
      });
      // A trigger the archive has not stored yet is counted; one outside the window is not.
      const fresh = sale(7, '2026-03-29T09:00:00Z');
      const withFresh = await invoke(action, { operation: 'sales.daily', params: { timeZone: 'Europe/Berlin', include: { eventId: fresh.id, occurredAt: fresh.occurredAt, units: 7 } } });
      expect((withFresh.result as { today: { units: number } }).today.units).toBe(38);
      const quiet = await invoke(action, { operation: 'sales.daily', params: { timeZone: 'UTC', days: 3 } });
      expect(quiet.result).toMatchObject({ today: { day: '2026-03-29', units: 30 }, median: 4, previous: [{ units: 6 }, { units: 0 }, { units: 4 }] });
    } finally {
      await cleanup();
    }
  });

  it('notification with actors reaches the users seen with those pseudonyms in the project', { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const now = systemClock.now();
      await db.notifications.recordSighting({ userId: 'ana', actor: 'a1a1a1a1a1a1a1a1', email: null, projects: { shop: 'editor' }, at: now });
      await db.notifications.recordSighting({ userId: 'ben', actor: 'b2b2b2b2b2b2b2b2', email: null, projects: { shop: 'owner' }, at: now });
      await db.notifications.recordSighting({ userId: 'cy', actor: 'c3c3c3c3c3c3c3c3', email: null, projects: { other: 'owner' }, at: now });
      const service = createNotificationService({
        store: db.notifications,
        writers: { inFlow: async () => false, timeZone: async () => 'UTC' },
        channels: new Map(),
        actorOf: (id) => `${id}0000000000000000`.slice(0, 16).replace(/[^0-9a-f]/g, 'a'),
        clock: systemClock,
        logger,
      });
      const notify = { notify: service.notify, owners: (p: string) => db.notifications.owners(p), roleOf: (p: string, u: string) => db.notifications.roleOf(p, u) };
      const [notification] = createNotifyActions({ notify: { ...notify, usersByActor: (actors) => db.notifications.usersByActor(actors) } });
      const out = await invoke(notification!, { actors: ['a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3'], priority: 'high', category: 'collaboration', title: 'Same passage' });
      expect(out).toMatchObject({ notified: 2, skipped: ['cy'] });
      for (const user of ['ana', 'ben']) expect((await db.notifications.list({ userId: user, limit: 10 })).items.map((n) => n.title)).toEqual(['Same passage']);

      // Nobody behind the pseudonyms, or a server without the resolver: a permanent failure that says so.
      await expect(invoke(notification!, { actors: ['dddddddddddddddd'], title: 'x' })).rejects.toMatchObject({ permanent: true, message: expect.stringContaining('is a known user') });
      const [unwired] = createNotifyActions({ notify });
      await expect(invoke(unwired!, { actors: ['a1a1a1a1a1a1a1a1'], title: 'x' })).rejects.toMatchObject({ permanent: true, message: expect.stringContaining('usersByActor') });
      // Exactly one audience.
      expect(notification!.spec.input.safeParse({ actors: ['a1a1a1a1a1a1a1a1'], role: 'owners', title: 'x' }).success).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
