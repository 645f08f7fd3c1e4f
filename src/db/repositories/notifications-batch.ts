/**
 * The batch half of the NotificationStore: what the rules consumer needs for a whole read of
 * bus events in a constant number of statements (recipients, preferences, zones, auto-mute
 * counts, then one transaction for every inbox row and delivery). One statement per event was
 * the cost that held the consumer to ~70 events/s (issue 14's benchmark).
 */
import { and, count, eq, gte, inArray, sql, type SQL } from 'drizzle-orm';
import type { StoredPreferences } from '../../notify/model.js';
import { fingerprintKey, type NotificationStore } from '../../services/notifications/ports.js';
import { rowsOf, type DrizzleDatabase } from '../drizzle-database.js';
import { notificationMembers, notificationPreferences, notifications, writingPreferences } from '../schema/index.js';

type BatchPart = Pick<NotificationStore, 'usersByActors' | 'ownersOf' | 'preferencesMany' | 'writerZones' | 'countsSince' | 'createMany'>;
/** A delivery row as jsonb_to_recordset reads it (column names, ISO times). */
interface DeliveryRow {
  id: string;
  user_id: string;
  notification_ids: string[];
  channel: string;
  kind: string;
  status: string;
  hold_reason: string | null;
  silent: boolean;
  due_at: string;
  attempts: number;
  last_error: string | null;
  idempotency_key: string;
  claimed_until: string | null;
  claim_token: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

/**
 * The rows go in as one jsonb parameter (jsonb_to_recordset), not as drizzle's multi-row values:
 * building a statement of 256 rows x 15 parameters was the consumer's largest CPU cost.
 */
function insertDeliveries(rows: readonly DeliveryRow[], tail: SQL): SQL {
  return sql`
    insert into notification_deliveries (id, user_id, notification_ids, channel, kind, status, hold_reason, silent, due_at, attempts, last_error, idempotency_key, claimed_until, claim_token, created_at, updated_at, sent_at)
    select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id text, user_id text, notification_ids jsonb, channel text, kind text, status text,
      hold_reason text, silent boolean, due_at timestamptz, attempts integer, last_error text, idempotency_key text, claimed_until timestamptz, claim_token text,
      created_at timestamptz, updated_at timestamptz, sent_at timestamptz)
    ${tail}`;
}


/** Rows per INSERT: bounds one statement's JSON parameter. */
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
          const rows = part.map(({ notification: n }) => ({
            id: n.id,
            user_id: n.userId,
            project_id: n.projectId,
            category: n.category,
            priority: n.priority,
            fingerprint: n.fingerprint,
            title: n.title,
            body: n.body,
            data: n.data ?? null,
            routing: n.routing,
            folded: n.folded,
            dedupe_key: n.dedupeKey,
            created_at: new Date(n.createdAt).toISOString(),
          }));
          // A redelivered event's rows exist (same dedupe key): they and their deliveries are skipped.
          const result = await tx.execute(sql`
            insert into notifications (id, user_id, project_id, category, priority, fingerprint, title, body, data, routing, folded, dedupe_key, created_at)
            select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id text, user_id text, project_id text, category text, priority text,
              fingerprint text, title text, body text, data jsonb, routing jsonb, folded boolean, dedupe_key text, created_at timestamptz)
            on conflict do nothing
            returning id`);
          for (const r of rowsOf<{ id: string }>(result)) created.add(r.id);
        }
        const singles: DeliveryRow[] = [];
        // Notifications of one batch that share a digest (same user, channel, time) join one row.
        const digests = new Map<string, { row: DeliveryRow; members: { notificationId: string; deliveryId: string }[] }>();
        for (const { notification: n, deliveries } of items) {
          if (!created.has(n.id)) continue;
          const at = new Date(n.createdAt).toISOString();
          for (const p of deliveries) {
            const row: DeliveryRow = {
              id: p.id,
              user_id: n.userId,
              notification_ids: [n.id],
              channel: p.channel,
              kind: p.kind,
              status: p.outcome?.status ?? p.status,
              hold_reason: p.holdReason,
              silent: p.silent,
              due_at: new Date(p.dueAt).toISOString(),
              attempts: p.outcome?.attempts ?? (p.claim ? 1 : 0),
              last_error: p.outcome?.lastError ?? null,
              idempotency_key: p.idempotencyKey,
              claimed_until: p.claim ? new Date(p.claim.until).toISOString() : null,
              claim_token: p.claim?.token ?? null,
              created_at: at,
              updated_at: at,
              sent_at: p.outcome?.status === 'sent' ? at : null,
            };
            if (p.kind === 'single') {
              singles.push(row);
              continue;
            }
            const digest = digests.get(p.idempotencyKey);
            if (digest) {
              digest.row.notification_ids = [...digest.row.notification_ids, n.id];
              digest.members.push({ notificationId: n.id, deliveryId: p.id });
            } else {
              digests.set(p.idempotencyKey, { row, members: [{ notificationId: n.id, deliveryId: p.id }] });
            }
          }
        }
        for (const part of chunks(singles)) await tx.execute(insertDeliveries(part, sql`on conflict do nothing`));
        for (const part of chunks([...digests.values()])) {
          const appended = await tx.execute(
            insertDeliveries(
              part.map((g) => g.row),
              sql`on conflict (idempotency_key) do update set notification_ids = notification_deliveries.notification_ids || excluded.notification_ids,
                updated_at = excluded.updated_at where notification_deliveries.status = 'pending' returning idempotency_key`,
            ),
          );
          const took = new Set(rowsOf<{ idempotency_key: string }>(appended).map((r) => r.idempotency_key));
          // A digest already sent (a late arrival after its time) takes no more: each of these
          // notifications goes in a digest of its own, as `create` does.
          const late = part
            .filter((g) => !took.has(g.row.idempotency_key))
            .flatMap((g) => g.members.map((m) => ({ ...g.row, id: m.deliveryId, notification_ids: [m.notificationId], idempotency_key: `${g.row.idempotency_key}:late:${m.notificationId}` })));
          if (late.length > 0) await tx.execute(insertDeliveries(late, sql`on conflict do nothing`));
        }
        return created;
      });
    },
  };
}
