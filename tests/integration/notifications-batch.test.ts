import { expect, it } from 'vitest';
import type { Database } from '../../src/db/document-store.js';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { NotificationPush } from '../../src/protocol/notifications.js';
import type { ChannelName, DeliveryChannel } from '../../src/services/notifications/channels/channel.js';
import { createEventRules } from '../../src/services/notifications/event-rules.js';
import { createInAppChannel } from '../../src/services/notifications/in-app-channel.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import { createOutboxWorker } from '../../src/services/notifications/outbox-worker.js';
import { onEveryDatabase } from '../helpers/databases.js';

/**
 * The rules consumer's batch path (issue 14's push target): one read of bus events from many
 * writers and projects goes through `handleBatch` in one transaction, and every recipient gets
 * each alert exactly once, in the inbox and as a live push, also when the bus delivers the batch
 * again, when the process dies after its pushes and before the commit (the redelivery pushes the
 * same ids and stores them once), and, for sends nobody redelivers, when the process dies between
 * the commit and the push (the outbox worker takes the pushes over once their lease ends). Real
 * PGlite, and Postgres with DATABASE_URL.
 */
const logger = createLogger({ level: 'silent' });
const NOON = Date.UTC(2026, 5, 10, 12, 0);
const USERS = 60;
const PROJECTS = 10;
const actorOf = (user: string) => Buffer.from(user).toString('hex').padStart(16, '0').slice(-16);

interface Pushed {
  channel: string;
  id: string;
  eventId: string;
}

function setup(db: Database, run: string, push: (m: { channel: string; data: NotificationPush }) => Promise<void>) {
  const clock = createManualClock(NOON);
  const inFlow = new Set<string>();
  const channels = new Map<ChannelName, DeliveryChannel>([['in_app', createInAppChannel({ push })]]);
  const writers = { inFlow: async (u: string) => inFlow.has(u), timeZone: async () => 'UTC' };
  const service = createNotificationService({ store: db.notifications, writers, channels, actorOf, clock, logger });
  const worker = createOutboxWorker({ store: db.notifications, channels, writers, preferencesOf: (u) => service.preferencesOf(u), clock, logger });
  const rules = createEventRules({ service, store: db.notifications, logger });
  const user = (i: number) => `${run}-u${i}`;
  return { clock, inFlow, service, worker, rules, user };
}

function recorder(into: Pushed[]) {
  return async (m: { channel: string; data: NotificationPush }) => {
    into.push({ channel: m.channel, id: m.data.notification.id, eventId: String((m.data.notification.data as { eventId?: string } | null)?.eventId) });
  };
}

async function inbox(db: Database, userId: string) {
  return (await db.notifications.list({ userId, limit: 100, includeArchived: true })).items;
}

onEveryDatabase((name, open) => {
  it(`${name}: a batch from ${USERS} writers in ${PROJECTS} projects is routed to the right users exactly once, also when redelivered`, { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const run = `b${Math.random().toString(36).slice(2, 8)}`;
      const pushed: Pushed[] = [];
      const { clock, inFlow, worker, rules, user } = setup(db, run, recorder(pushed));
      const project = (i: number) => `${run}-p${i % PROJECTS}`;
      // Every writer owns project i % 10 (six owners each) and was seen (rules reach known users).
      for (let i = 0; i < USERS; i++) await db.notifications.recordSighting({ userId: user(i), actor: actorOf(user(i)), email: null, projects: { [project(i)]: 'owner' }, at: clock.now() });
      inFlow.add(user(5));

      const base = (i: number) => ({ actor: actorOf(user(i)), projectId: project(i), occurredAt: NOON });
      const goals = Array.from({ length: USERS }, (_, i) => createEvent('analytics.goal_met', { ...base(i), payload: { goalId: `g${i}`, kind: 'daily_words', target: 500, actual: 600 } }));
      const failures = Array.from({ length: PROJECTS }, (_, p) => createEvent('automation.workflow_failed', { ...base(p), actor: 'system', payload: { runId: `r${p}`, workflowId: 'export', error: 'timeout' } }));
      const conflicts = Array.from({ length: USERS / 2 }, (_, k) => createEvent('collaboration.conflict_predicted', { ...base(2 * k), payload: { severity: 'high', blocks: [k], users: [actorOf(user(2 * k)), actorOf(user(2 * k + 1))] } }));
      // A second goal of u0 in the same batch (folded by auto-mute), the same event twice, and a stranger's event.
      const again = createEvent('analytics.goal_met', { ...base(0), payload: { goalId: 'g0b', kind: 'daily_words', target: 500, actual: 700 } });
      const stranger = createEvent('analytics.goal_met', { ...base(0), actor: actorOf(`${run}-nobody`), payload: { goalId: 'x', kind: 'daily_words', target: 1, actual: 2 } });
      const batch: StoryloomEvent[] = [...goals, ...failures, ...conflicts, again, goals[7]!, stranger];

      // Who should get what: event id -> users.
      const expected = new Map<string, string[]>();
      goals.forEach((e, i) => expected.set(e.id, [user(i)]));
      failures.forEach((e, p) => expected.set(e.id, Array.from({ length: USERS / PROJECTS }, (_, k) => user(p + k * PROJECTS))));
      conflicts.forEach((e, k) => expected.set(e.id, [user(2 * k), user(2 * k + 1)]));
      expected.set(again.id, [user(0)]);
      const rows = [...expected.values()].flat().length;

      await rules.handleBatch(batch);
      const check = async () => {
        let total = 0;
        for (let i = 0; i < USERS; i++) {
          const items = await inbox(db, user(i));
          total += items.length;
          const got = items.map((n) => (n.data as { eventId: string }).eventId).sort();
          const want = [...expected].filter(([, users]) => users.includes(user(i))).map(([id]) => id).sort();
          expect(got, user(i)).toEqual(want);
        }
        expect(total).toBe(rows);
        expect(await inbox(db, `${run}-nobody`)).toEqual([]);
      };
      await check();
      const folded = (await inbox(db, user(0))).filter((n) => n.folded);
      expect(folded.map((n) => (n.data as { eventId: string }).eventId)).toEqual([again.id]);

      // Pushed at once, once per notification, on the recipient's channel; none while in flow, none folded.
      const pushedNow = rows - 1 - 3;
      expect(pushed).toHaveLength(pushedNow);
      expect(new Set(pushed.map((p) => p.id)).size).toBe(pushedNow);
      for (const p of pushed) expect(expected.get(p.eventId)).toContain(p.channel.replace(/^user:/, ''));
      expect(pushed.some((p) => p.channel === `user:${user(5)}`)).toBe(false);

      // The bus delivers the whole batch again (a crash before the ack): nothing new.
      await rules.handleBatch(batch);
      await check();
      expect(pushed).toHaveLength(pushedNow);
      // The worker finds no in-app push left to make; once u5 leaves flow, its three arrive.
      await worker.runOnce();
      expect(pushed).toHaveLength(pushedNow);
      inFlow.delete(user(5));
      clock.advance(1_000);
      await worker.runOnce();
      await worker.runOnce();
      expect(pushed).toHaveLength(rows - 1);
      expect(new Set(pushed.map((p) => p.id)).size).toBe(rows - 1);
      expect(pushed.filter((p) => p.channel === `user:${user(5)}`)).toHaveLength(3);
    } finally {
      await cleanup();
    }
  });

  it(`${name}: a process that dies after its pushes and before the commit: the bus redelivers, the same ids are pushed again and stored once`, { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const run = `d${Math.random().toString(36).slice(2, 8)}`;
      // The dying process pushes (the rules consumer pushes before its commit), then is gone
      // before the commit: its pushes never complete, so nothing is stored or acknowledged.
      const dyingPushed: Pushed[] = [];
      const dying = setup(db, run, async (m) => {
        await recorder(dyingPushed)(m);
        return new Promise<never>(() => {});
      });
      const pushed: Pushed[] = [];
      const survivor = setup(db, run, recorder(pushed));
      const users = Array.from({ length: 20 }, (_, i) => dying.user(i));
      for (const u of users) await db.notifications.recordSighting({ userId: u, actor: actorOf(u), email: null, projects: { [`${run}-p`]: 'writer' }, at: NOON });
      const events = users.map((u, i) => createEvent('analytics.goal_missed', { actor: actorOf(u), projectId: `${run}-p`, occurredAt: NOON, payload: { goalId: `g${i}`, kind: 'daily_words', target: 500, actual: 100 } }));
      void dying.rules.handleBatch(events);
      for (let waited = 0; dyingPushed.length < users.length; waited++) {
        if (waited > 200) throw new Error('the dying process did not push');
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const u of users) expect(await inbox(db, u)).toEqual([]);
      // The bus hands the unacknowledged events to the survivor: stored once, pushed under the same ids.
      await survivor.rules.handleBatch(events);
      for (const u of users) expect(await inbox(db, u)).toHaveLength(1);
      const stored = new Set((await Promise.all(users.map((u) => inbox(db, u)))).flat().map((n) => n.id));
      expect(new Set(pushed.map((p) => p.id))).toEqual(stored);
      expect(new Set(dyingPushed.map((p) => p.id))).toEqual(stored);
      // Recorded as sent with the inbox rows: the outbox worker has nothing left to push.
      expect(await survivor.worker.runOnce()).toBe(0);
      expect(pushed).toHaveLength(users.length);
      const first = [...stored][0]!;
      const owner = (await Promise.all(users.map(async (u) => ((await inbox(db, u))[0]?.id === first ? u : null)))).find(Boolean)!;
      expect(await db.notifications.deliveriesOf(owner, first)).toEqual([expect.objectContaining({ channel: 'in_app', status: 'sent', attempts: 1 })]);
      // Delivered once more after the commit (a crash before the ack): nothing stored or pushed again.
      await survivor.rules.handleBatch(events);
      for (const u of users) expect(await inbox(db, u)).toHaveLength(1);
      expect(pushed).toHaveLength(users.length);
    } finally {
      await cleanup();
    }
  });

  it(`${name}: a send that dies between the commit and the push leaves the push to the outbox worker once its lease ends`, { timeout: 120_000 }, async () => {
    const { db, cleanup } = await open();
    try {
      const run = `c${Math.random().toString(36).slice(2, 8)}`;
      // The dying process: its pushes never complete (it is gone before they do).
      const dying = setup(db, run, () => new Promise<never>(() => {}));
      const pushed: Pushed[] = [];
      const survivor = setup(db, run, recorder(pushed));
      const users = Array.from({ length: 20 }, (_, i) => dying.user(i));
      // Sends nobody redelivers (REST, break suggestions) store first, then push under a lease.
      const inputs = users.map((u, i) => ({ userId: u, projectId: `${run}-p`, category: 'system' as const, priority: 'medium' as const, title: `Note ${i}`, body: 'from the editor', dedupeKey: `send:${run}:${u}` }));
      void dying.service.notifyMany(inputs);
      for (let waited = 0; (await inbox(db, users[19]!)).length === 0; waited++) {
        if (waited > 200) throw new Error('the batch was not stored');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Still leased to the dead process: the worker leaves the rows alone...
      expect(await survivor.worker.runOnce()).toBe(0);
      expect(pushed).toHaveLength(0);
      // ...until the lease ends; then each is pushed once.
      survivor.clock.advance(31_000);
      while ((await survivor.worker.runOnce()) > 0);
      expect(pushed.map((p) => p.channel).sort()).toEqual(users.map((u) => `user:${u}`).sort());
      expect(new Set(pushed.map((p) => p.id)).size).toBe(users.length);
      // The same sends again (a client's retry with the same keys): nothing is stored or pushed twice.
      expect(await survivor.service.notifyMany(inputs)).toEqual(inputs.map(() => null));
      for (const u of users) expect(await inbox(db, u)).toHaveLength(1);
      expect(pushed).toHaveLength(users.length);
    } finally {
      await cleanup();
    }
  });
});
