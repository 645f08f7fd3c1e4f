import { and, count, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { NotificationCategory, NotificationPriority, StoredPreferences } from '../../notify/model.js';
import type { NotificationStore, PushSubscription, StoredNotification, UserSighting } from '../../services/notifications/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { notificationDeliveries, notificationMembers, notificationPreferences, notificationPushSubscriptions, notifications } from '../schema/index.js';
import { createNotificationBatchRepository } from './notifications-batch.js';
import { createOutboxRepository, rowToDelivery } from './notifications-outbox.js';

type Row = typeof notifications.$inferSelect;

function rowToNotification(r: Row): StoredNotification {
  return {
    id: r.id,
    userId: r.userId,
    projectId: r.projectId,
    category: r.category as NotificationCategory,
    priority: r.priority as NotificationPriority,
    fingerprint: r.fingerprint,
    title: r.title,
    body: r.body,
    data: r.data ?? null,
    routing: (r.routing as string[] | null) ?? [],
    folded: r.folded,
    createdAt: r.createdAt.getTime(),
    readAt: r.readAt?.getTime() ?? null,
    archivedAt: r.archivedAt?.getTime() ?? null,
  };
}

/** Cursor of the inbox: the last row's (created_at, id), newest first. */
function encodeCursor(n: StoredNotification): string {
  return Buffer.from(`${n.createdAt}:${n.id}`).toString('base64url');
}
function decodeCursor(cursor: string): { at: Date; id: string } | null {
  const [at, ...id] = Buffer.from(cursor, 'base64url').toString().split(':');
  const ms = Number(at);
  return Number.isSafeInteger(ms) && id.length > 0 ? { at: new Date(ms), id: id.join(':') } : null;
}

/**
 * The NotificationStore over drizzle (PGlite and Postgres); the outbox half is in
 * notifications-outbox.ts, the batch forms the rules consumer uses in notifications-batch.ts.
 */
export function createNotificationRepository(db: DrizzleDatabase): NotificationStore {
  return {
    ...createOutboxRepository(db),
    ...createNotificationBatchRepository(db),

    recordSighting: (s) => recordSightings(db, [s]),
    recordSightings: (sightings) => recordSightings(db, sightings),
    async usersByActor(actors) {
      if (actors.length === 0) return [];
      const rows = await db.select({ userId: notificationPreferences.userId }).from(notificationPreferences).where(inArray(notificationPreferences.actor, [...actors]));
      return rows.map((r) => r.userId);
    },
    async owners(projectId) {
      const rows = await db
        .select({ userId: notificationMembers.userId })
        .from(notificationMembers)
        .where(and(eq(notificationMembers.projectId, projectId), eq(notificationMembers.role, 'owner')));
      return rows.map((r) => r.userId);
    },
    async roleOf(projectId, userId) {
      const [row] = await db
        .select({ role: notificationMembers.role })
        .from(notificationMembers)
        .where(and(eq(notificationMembers.projectId, projectId), eq(notificationMembers.userId, userId)));
      return row?.role ?? null;
    },
    async getPreferences(userId) {
      const [row] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
      return row ? { settings: row.settings as StoredPreferences, tokenEmail: row.tokenEmail } : null;
    },
    async savePreferences(userId, actor, settings, at) {
      const when = new Date(at);
      await db
        .insert(notificationPreferences)
        .values({ userId, actor, settings, firstSeenAt: when, updatedAt: when })
        .onConflictDoUpdate({ target: notificationPreferences.userId, set: { settings, updatedAt: when } });
    },

    async list(q) {
      const after = q.cursor ? decodeCursor(q.cursor) : null;
      const rows = await db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.userId, q.userId),
            q.includeArchived ? undefined : isNull(notifications.archivedAt),
            q.unread ? isNull(notifications.readAt) : undefined,
            q.category ? eq(notifications.category, q.category) : undefined,
            q.projectId ? eq(notifications.projectId, q.projectId) : undefined,
            after ? or(lt(notifications.createdAt, after.at), and(eq(notifications.createdAt, after.at), lt(notifications.id, after.id))) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(q.limit + 1);
      const items = rows.slice(0, q.limit).map(rowToNotification);
      return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!) : null };
    },
    async unreadCount(userId) {
      const [row] = await db
        .select({ n: count() })
        .from(notifications)
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), isNull(notifications.archivedAt)));
      return Number(row?.n ?? 0);
    },
    async get(userId, id) {
      const [row] = await db.select().from(notifications).where(and(eq(notifications.userId, userId), eq(notifications.id, id)));
      return row ? rowToNotification(row) : null;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const rows = await db.select().from(notifications).where(inArray(notifications.id, [...ids]));
      return rows.map(rowToNotification).sort((a, b) => a.createdAt - b.createdAt);
    },
    async markRead(userId, id, at) {
      const rows = await db
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, ${new Date(at).toISOString()}::timestamptz)` })
        .where(and(eq(notifications.userId, userId), eq(notifications.id, id)))
        .returning({ id: notifications.id });
      return rows.length > 0;
    },
    async markAllRead(userId, at, filter) {
      const rows = await db
        .update(notifications)
        .set({ readAt: new Date(at) })
        .where(
          and(
            eq(notifications.userId, userId),
            isNull(notifications.readAt),
            filter?.category ? eq(notifications.category, filter.category) : undefined,
            filter?.projectId ? eq(notifications.projectId, filter.projectId) : undefined,
          ),
        )
        .returning({ id: notifications.id });
      return rows.length;
    },
    async archive(userId, id, at) {
      const rows = await db
        .update(notifications)
        .set({ archivedAt: sql`coalesce(${notifications.archivedAt}, ${new Date(at).toISOString()}::timestamptz)` })
        .where(and(eq(notifications.userId, userId), eq(notifications.id, id)))
        .returning({ id: notifications.id });
      return rows.length > 0;
    },

    async addPushSubscription(sub) {
      // The endpoint identifies a browser's subscription: re-subscribing replaces its keys/owner.
      const [row] = await db
        .insert(notificationPushSubscriptions)
        .values({ ...sub, createdAt: new Date(sub.createdAt) })
        .onConflictDoUpdate({
          target: notificationPushSubscriptions.endpoint,
          set: { userId: sub.userId, p256dh: sub.p256dh, auth: sub.auth },
        })
        .returning();
      return toSubscription(row!);
    },
    async removePushSubscription(userId, id) {
      const rows = await db
        .delete(notificationPushSubscriptions)
        .where(and(eq(notificationPushSubscriptions.userId, userId), eq(notificationPushSubscriptions.id, id)))
        .returning({ id: notificationPushSubscriptions.id });
      return rows.length > 0;
    },
    async pushSubscriptions(userId) {
      const rows = await db.select().from(notificationPushSubscriptions).where(eq(notificationPushSubscriptions.userId, userId));
      return rows.map(toSubscription);
    },
    async deletePushSubscriptions(ids) {
      if (ids.length > 0) await db.delete(notificationPushSubscriptions).where(inArray(notificationPushSubscriptions.id, [...ids]));
    },
    async deliveriesOf(userId, notificationId) {
      const rows = await db
        .select()
        .from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.userId, userId), sql`${notificationDeliveries.notificationIds} @> ${JSON.stringify([notificationId])}::jsonb`))
        .orderBy(notificationDeliveries.createdAt);
      return rows.map(rowToDelivery);
    },
  };
}

/**
 * Users and their project roles as tokens showed them: two statements for any number of
 * sightings. Several sightings of one user merge first (Postgres updates a row once per
 * statement), as applying them in order would: the last actor and role win, an email claim
 * stays unless a later one replaces it.
 */
async function recordSightings(db: DrizzleDatabase, sightings: readonly UserSighting[]): Promise<void> {
  if (sightings.length === 0) return;
  const users = new Map<string, { userId: string; actor: string; settings: object; tokenEmail: string | null; firstSeenAt: Date; updatedAt: Date }>();
  const members = new Map<string, { projectId: string; userId: string; role: string; seenAt: Date }>();
  for (const s of sightings) {
    const at = new Date(s.at);
    const earlier = users.get(s.userId);
    users.set(s.userId, { userId: s.userId, actor: s.actor, settings: {}, tokenEmail: s.email ?? earlier?.tokenEmail ?? null, firstSeenAt: earlier?.firstSeenAt ?? at, updatedAt: earlier?.updatedAt ?? at });
    for (const [projectId, role] of Object.entries(s.projects)) members.set(`${projectId}\u0000${s.userId}`, { projectId, userId: s.userId, role, seenAt: at });
  }
  await db
    .insert(notificationPreferences)
    .values([...users.values()])
    .onConflictDoUpdate({
      target: notificationPreferences.userId,
      // The newest email claim wins; a token without one keeps what was remembered.
      set: { actor: sql`excluded.actor`, tokenEmail: sql`coalesce(excluded.token_email, ${notificationPreferences.tokenEmail})` },
    });
  if (members.size > 0) {
    await db
      .insert(notificationMembers)
      .values([...members.values()])
      .onConflictDoUpdate({ target: [notificationMembers.projectId, notificationMembers.userId], set: { role: sql`excluded.role`, seenAt: sql`excluded.seen_at` } });
  }
}

function toSubscription(r: typeof notificationPushSubscriptions.$inferSelect): PushSubscription {
  return { id: r.id, userId: r.userId, endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth, createdAt: r.createdAt.getTime() };
}
