import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { NotificationChannel } from '../../notify/model.js';
import type { HoldReason } from '../../notify/route.js';
import type { DeliveryRecord, DeliveryStatus, NotificationStore } from '../../services/notifications/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { notificationDeliveries } from '../schema/index.js';

type Row = typeof notificationDeliveries.$inferSelect;

export function rowToDelivery(r: Row): DeliveryRecord {
  return {
    id: r.id,
    userId: r.userId,
    notificationIds: r.notificationIds,
    channel: r.channel as NotificationChannel,
    kind: r.kind as DeliveryRecord['kind'],
    status: r.status as DeliveryStatus,
    holdReason: r.holdReason as HoldReason | null,
    silent: r.silent,
    dueAt: r.dueAt.getTime(),
    attempts: r.attempts,
    lastError: r.lastError,
    idempotencyKey: r.idempotencyKey,
    providerId: r.providerId,
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
    sentAt: r.sentAt?.getTime() ?? null,
  };
}

type OutboxPart = Pick<NotificationStore, 'releaseDueHolds' | 'flowHeld' | 'rescheduleHeld' | 'claimDue' | 'finish' | 'finishSent' | 'pendingDigests' | 'statusCounts'>;

/** The outbox half of the NotificationStore: claims, leases and outcomes. */
export function createOutboxRepository(db: DrizzleDatabase): OutboxPart {
  const d = notificationDeliveries;
  return {
    async releaseDueHolds(now) {
      const rows = await db
        .update(d)
        .set({ status: 'pending', holdReason: null, updatedAt: new Date(now) })
        .where(and(eq(d.status, 'held'), eq(d.holdReason, 'quiet_hours'), lte(d.dueAt, new Date(now))))
        .returning({ id: d.id });
      return rows.length;
    },
    async flowHeld(limit) {
      const rows = await db
        .select()
        .from(d)
        .where(and(eq(d.status, 'held'), eq(d.holdReason, 'flow')))
        .orderBy(asc(d.createdAt))
        .limit(limit);
      return rows.map(rowToDelivery);
    },
    async rescheduleHeld(id, change, at) {
      const rows = await db
        .update(d)
        .set({ ...change, dueAt: new Date(change.dueAt), updatedAt: new Date(at) })
        .where(and(eq(d.id, id), eq(d.status, 'held')))
        .returning({ id: d.id });
      return rows.length > 0;
    },
    async claimDue(now, limit, leaseMs, token) {
      const at = new Date(now);
      return db.transaction(async (tx) => {
        // Rows another worker holds locked are skipped, not waited for: two instances polling
        // together split the due rows between them instead of queueing behind each other.
        const due = await tx
          .select({ id: d.id })
          .from(d)
          .where(and(eq(d.status, 'pending'), lte(d.dueAt, at), or(isNull(d.claimedUntil), lt(d.claimedUntil, at))))
          .orderBy(asc(d.dueAt))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (due.length === 0) return [];
        const rows = await tx
          .update(d)
          .set({ claimedUntil: new Date(now + leaseMs), claimToken: token, attempts: sql`${d.attempts} + 1`, updatedAt: at })
          .where(
            inArray(
              d.id,
              due.map((r) => r.id),
            ),
          )
          .returning();
        return rows.map(rowToDelivery).sort((a, b) => a.dueAt - b.dueAt);
      });
    },
    async finish(id, token, outcome, at) {
      const when = new Date(at);
      const rows = await db
        .update(d)
        .set({
          status: outcome.status,
          claimedUntil: null,
          claimToken: null,
          updatedAt: when,
          ...(outcome.dueAt === undefined ? {} : { dueAt: new Date(outcome.dueAt) }),
          ...(outcome.lastError === undefined ? {} : { lastError: outcome.lastError }),
          ...(outcome.providerId === undefined ? {} : { providerId: outcome.providerId }),
          ...(outcome.status === 'sent' ? { sentAt: when } : {}),
        })
        // Only the holder of the lease records an outcome: a worker whose lease ran out (it
        // stalled past it, and another worker took the row over) changes nothing.
        .where(and(eq(d.id, id), eq(d.claimToken, token), eq(d.status, 'pending')))
        .returning({ id: d.id });
      return rows.length > 0;
    },
    async finishSent(ids, token, at) {
      if (ids.length === 0) return new Set();
      const when = new Date(at);
      // The same lease rule as finish: only the holder records the outcome.
      const rows = await db
        .update(d)
        .set({ status: 'sent', claimedUntil: null, claimToken: null, updatedAt: when, lastError: null, sentAt: when })
        .where(and(inArray(d.id, [...ids]), eq(d.claimToken, token), eq(d.status, 'pending')))
        .returning({ id: d.id });
      return new Set(rows.map((r) => r.id));
    },
    async pendingDigests(userId) {
      const rows = await db
        .select()
        .from(d)
        .where(and(eq(d.userId, userId), eq(d.kind, 'digest'), inArray(d.status, ['pending', 'held'])))
        .orderBy(asc(d.dueAt));
      return rows.map(rowToDelivery);
    },
    async statusCounts() {
      const rows = await db.select({ status: d.status, n: sql<number>`count(*)::int` }).from(d).groupBy(d.status);
      const out: Record<DeliveryStatus, number> = { pending: 0, held: 0, sent: 0, failed: 0, dead: 0 };
      for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
      return out;
    },
  };
}
