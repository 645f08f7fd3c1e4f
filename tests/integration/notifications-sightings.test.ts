import { expect, it } from 'vitest';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import type { NotificationStore, UserSighting } from '../../src/services/notifications/ports.js';
import { onEveryDatabase } from '../helpers/databases.js';

/**
 * Sightings (who a token showed: pseudonym, email claim, project roles) of a connect burst are
 * stored together: the store's batch form merges repeated users as applying them in order
 * would, and the service sends the sightings of one event-loop turn as one batch. Real PGlite,
 * and Postgres with DATABASE_URL.
 */
const logger = createLogger({ level: 'silent' });
const actorOf = (user: string) => Buffer.from(user).toString('hex').padStart(16, '0').slice(-16);

onEveryDatabase((name, open) => {
  it(`${name}: recordSightings stores many users and roles at once, a repeated user merged in order`, async () => {
    const { db, cleanup } = await open();
    try {
      const run = `s${Math.random().toString(36).slice(2, 8)}`;
      const [a, b, c] = [`${run}-a`, `${run}-b`, `${run}-c`];
      const [p, q] = [`${run}-p`, `${run}-q`];
      const store = db.notifications;
      await store.recordSightings([]);
      await store.recordSighting({ userId: c, actor: actorOf(c), email: 'c@old.example', projects: { [q]: 'editor' }, at: 1_000 });
      await store.recordSightings([
        { userId: a, actor: 'a-first-pseudonym', email: 'a@example.org', projects: { [p]: 'writer' }, at: 2_000 },
        { userId: b, actor: actorOf(b), email: null, projects: { [p]: 'owner', [q]: 'writer' }, at: 2_000 },
        // a again in the same batch: newer pseudonym and role, no email claim (the earlier one stays).
        { userId: a, actor: actorOf(a), email: null, projects: { [p]: 'owner' }, at: 2_001 },
        // c without an email claim keeps the remembered one; a role in a new project is added.
        { userId: c, actor: actorOf(c), email: null, projects: { [p]: 'writer' }, at: 2_002 },
      ]);
      expect(await store.usersByActors([actorOf(a), 'a-first-pseudonym', actorOf(b), actorOf(c)])).toEqual(
        new Map([
          [actorOf(a), [a]],
          [actorOf(b), [b]],
          [actorOf(c), [c]],
        ]),
      );
      expect((await store.ownersOf([p, q])).get(p)?.sort()).toEqual([a, b].sort());
      expect(await store.roleOf(q, b)).toBe('writer');
      expect(await store.roleOf(q, c)).toBe('editor');
      expect(await store.roleOf(p, c)).toBe('writer');
      expect((await store.getPreferences(a))?.tokenEmail).toBe('a@example.org');
      expect((await store.getPreferences(c))?.tokenEmail).toBe('c@old.example');
      expect((await store.getPreferences(b))?.tokenEmail).toBeNull();
    } finally {
      await cleanup();
    }
  });

  it(`${name}: the sightings of one turn are one batch; an unchanged identity is not stored again`, async () => {
    const { db, cleanup } = await open();
    try {
      const run = `t${Math.random().toString(36).slice(2, 8)}`;
      const batches: UserSighting[][] = [];
      const writes: Promise<void>[] = [];
      const store: NotificationStore = {
        ...db.notifications,
        recordSightings(sightings) {
          batches.push([...sightings]);
          const write = db.notifications.recordSightings(sightings);
          writes.push(write);
          return write;
        },
      };
      const service = createNotificationService({ store, writers: { inFlow: async () => false, timeZone: async () => 'UTC' }, channels: new Map(), actorOf, clock: createManualClock(0), logger });
      const users = Array.from({ length: 20 }, (_, i) => `${run}-u${i}`);
      for (const u of users) service.sighted({ userId: u, projects: { [`${run}-p`]: 'owner' } });
      service.sighted({ userId: users[0]!, projects: { [`${run}-p`]: 'owner' } }); // same signature: deduped
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(writes);
      expect(batches.map((b) => b.length)).toEqual([20]);
      expect((await service.recipients.ownersOf([`${run}-p`])).get(`${run}-p`)?.sort()).toEqual([...users].sort());
      // A changed identity (new role) is stored again, in a batch of its own turn.
      service.sighted({ userId: users[0]!, projects: { [`${run}-p`]: 'writer' } });
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(writes);
      expect(batches.map((b) => b.length)).toEqual([20, 1]);
      expect(await db.notifications.roleOf(`${run}-p`, users[0]!)).toBe('writer');
    } finally {
      await cleanup();
    }
  });
});
