/**
 * The batch half of the NotificationStore: what the rules consumer needs for a whole read of
 * bus events in a constant number of statements (recipients, preferences, zones, auto-mute
 * counts, then one transaction for every inbox row and delivery). One statement per event was
 * the cost that held the consumer to ~70 events/s (issue 14's benchmark).
 */
import { and, count, eq, gte, inArray, sql } from 'drizzle-orm';
import type { StoredPreferences } from '../../notify/model.js';
import { fingerprintKey, type NotificationStore } from '../../services/notifications/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { notificationDeliveries, notificationMembers, notificationPreferences, notifications, writingPreferences } from '../schema/index.js';

type BatchPart = Pick<NotificationStore, 'usersByActors' | 'ownersOf' | 'preferencesMany' | 'writerZones' | 'countsSince' | 'createMany'>;
type DeliveryRow = typeof notificationDeliveries.$inferInsert;

/** Rows per multi-row INSERT: far below Postgres's 65,535 parameters at 16 columns. */
const CHUNK = 500;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

function group<K, V>(pairs: Iterable<readonly [K, V]>): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const [k, v] of pairs) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

export function createNotificationBatchRepository(db: DrizzleDatabase): BatchPart {
  const d = notificationDeliveries;
  return {
    async usersByActors(actors) {
      if (actors.length === 0) return new Map();
      const rows = await db
        .select({ actor: notificationPreferences.actor, userId: notificationPreferences.userId })
        .from(notificationPreferences)
        .where(inArray(notificationPreferences.actor, [...new Set(actors)]));
      return group(rows.map((r) => [r.actor, r.userId] as const));
    },
    async ownersOf(projectIds) {
      if (projectIds.length === 0) return new Map();
      const rows = await db
        .select({ projectId: notificationMembers.projectId, userId: notificationMembers.userId })
        .from(notificationMembers)
        .where(and(inArray(notificationMembers.projectId, [...new Set(projectIds)]), eq(notificationMembers.role, 'owner')));
      return group(rows.map((r) => [r.projectId, r.userId] as const));
    },
    async preferencesMany(userIds) {
      if (userIds.length === 0) return new Map();
      const rows = await db
        .select({ userId: notificationPreferences.userId, settings: notificationPreferences.settings, tokenEmail: notificationPreferences.tokenEmail })
        .from(notificationPreferences)
        .where(inArray(notificationPreferences.userId, [...new Set(userIds)]));
      return new Map(rows.map((r) => [r.userId, { settings: r.settings as StoredPreferences, tokenEmail: r.tokenEmail }]));
    },
    async writerZones(userIds) {
      // The writing service owns this table; notifications only read the zone default quiet
      // hours are in, for a whole batch at once (its store reads one user per query).
      if (userIds.length === 0) return new Map();
      const rows = await db
        .select({ userId: writingPreferences.userId, timeZone: writingPreferences.timeZone })
        .from(writingPreferences)
        .where(inArray(writingPreferences.userId, [...new Set(userIds)]));
      return new Map(rows.map((r) => [r.userId, r.timeZone]));
    },
    async countsSince(pairs, since) {
      if (pairs.length === 0) return new Map();
      // Users × fingerprints is a superset of the pairs; the index (user, fingerprint, created_at)
      // serves it, and the rows outside the pairs are simply not looked up.
      const rows = await db
        .select({ userId: notifications.userId, fingerprint: notifications.fingerprint, n: count() })
        .from(notifications)
        .where(
          and(
            inArray(notifications.userId, [...new Set(pairs.map((p) => p.userId))]),
            inArray(notifications.fingerprint, [...new Set(pairs.map((p) => p.fingerprint))]),
            gte(notifications.createdAt, new Date(since)),
          ),
        )
        .groupBy(notifications.userId, notifications.fingerprint);
      return new Map(rows.map((r) => [fingerprintKey(r.userId, r.fingerprint), Number(r.n)]));
    },
    async createMany(items) {
      if (items.length === 0) return new Set();
      return db.transaction(async (tx) => {
        const created = new Set<string>();
        for (const part of chunks(items)) {
          const rows = await tx
            .insert(notifications)
            .values(
              part.map(({ notification: n }) => ({
                id: n.id,
                userId: n.userId,
                projectId: n.projectId,
                category: n.category,
                priority: n.priority,
                fingerprint: n.fingerprint,
                title: n.title,
                body: n.body,
                data: n.data ?? null,
                routing: n.routing,
                folded: n.folded,
                dedupeKey: n.dedupeKey,
                createdAt: new Date(n.createdAt),
              })),
            )
            // A redelivered event's rows exist (same dedupe key): they and their deliveries are skipped.
            .onConflictDoNothing()
            .returning({ id: notifications.id });
          for (const r of rows) created.add(r.id);
        }
        const singles: DeliveryRow[] = [];
        // Notifications of one batch that share a digest (same user, channel, time) join one row.
        const digests = new Map<string, { row: DeliveryRow; members: { notificationId: string; deliveryId: string }[] }>();
        for (const { notification: n, deliveries } of items) {
          if (!created.has(n.id)) continue;
          const at = new Date(n.createdAt);
          for (const p of deliveries) {
            const row: DeliveryRow = {
              id: p.id,
              userId: n.userId,
              notificationIds: [n.id],
              channel: p.channel,
              kind: p.kind,
              status: p.status,
              holdReason: p.holdReason,
              silent: p.silent,
              dueAt: new Date(p.dueAt),
              idempotencyKey: p.idempotencyKey,
              createdAt: at,
              updatedAt: at,
              ...(p.claim ? { claimedUntil: new Date(p.claim.until), claimToken: p.claim.token, attempts: 1 } : {}),
            };
            if (p.kind === 'single') {
              singles.push(row);
              continue;
            }
            const digest = digests.get(p.idempotencyKey);
            if (digest) {
              digest.row.notificationIds = [...digest.row.notificationIds, n.id];
              digest.members.push({ notificationId: n.id, deliveryId: p.id });
            } else {
              digests.set(p.idempotencyKey, { row, members: [{ notificationId: n.id, deliveryId: p.id }] });
            }
          }
        }
        for (const part of chunks(singles)) await tx.insert(d).values(part).onConflictDoNothing();
        for (const part of chunks([...digests.values()])) {
          const appended = await tx
            .insert(d)
            .values(part.map((g) => g.row))
            .onConflictDoUpdate({
              target: d.idempotencyKey,
              set: { notificationIds: sql`${d.notificationIds} || excluded.notification_ids`, updatedAt: sql`excluded.updated_at` },
              setWhere: eq(d.status, 'pending'),
            })
            .returning({ key: d.idempotencyKey });
          const took = new Set(appended.map((r) => r.key));
          // A digest already sent (a late arrival after its time) takes no more: each of these
          // notifications goes in a digest of its own, as `create` does.
          const late = part
            .filter((g) => !took.has(g.row.idempotencyKey))
            .flatMap((g) => g.members.map((m) => ({ ...g.row, id: m.deliveryId, notificationIds: [m.notificationId], idempotencyKey: `${g.row.idempotencyKey}:late:${m.notificationId}` })));
          if (late.length > 0) await tx.insert(d).values(late).onConflictDoNothing();
        }
        return created;
      });
    },
  };
}
