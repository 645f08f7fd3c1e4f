/**
 * The notifications application service: takes a notification (REST send, a bus event through
 * the rules table, a break suggestion), stores it with its routed deliveries in one transaction,
 * pushes it in-app at once and wakes the outbox worker for the other channels (notify-batch.ts;
 * a read of bus events goes through as one batch). The inbox, preferences and push subscriptions go through here too.
 */
import { createBatchLoader } from '../../lib/batch-loader.js';
import { AppError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import { uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { NOTIFICATION_CATEGORIES, NOTIFICATION_PRIORITIES, effectivePreferences, mergePreferences, type EffectivePreferences, type NotificationCategory, type NotificationChannel, type StoredPreferences } from '../../notify/model.js';
import type { ChannelName, DeliveryChannel } from './channels/channel.js';
import { createLookupCache } from './lookup-cache.js';
import { createBatchNotifier } from './notify-batch.js';
import type { NotifyInput, WriterState } from './ports.js';

export type { NotifyInput, WriterState } from './ports.js';
import type { DeliveryRecord, InboxQuery, NotificationStore, PushSubscription, StoredNotification, UserSighting } from './ports.js';

export interface NotificationServiceDeps {
  store: NotificationStore;
  writers: WriterState;
  channels: ReadonlyMap<ChannelName, DeliveryChannel>;
  actorOf(userId: string): string;
  clock: Clock;
  logger: Logger;
  /** The outbox worker's wake-up: a new pending delivery goes out without waiting for a poll. */
  wake?: () => void;
  /**
   * How long the rules consumer may route with cached recipients, preferences and zones
   * (lookup-cache.ts): writes through this instance invalidate at once, this bounds how late a
   * change made through another instance is seen. Default 10 s; 0 turns the caches off.
   */
  cacheTtlMs?: number;
}

export interface ChannelStatus {
  configured: boolean;
  detail: string;
}

export type PreferencesView = EffectivePreferences & { channelStatus: Record<NotificationChannel, ChannelStatus> };

const SIGHTING_REFRESH_MS = 10 * 60_000;

export function createNotificationService(deps: NotificationServiceDeps) {
  const { store, clock, logger } = deps;
  const sightings = new Map<string, { signature: string; at: number }>();

  async function preferencesOf(userId: string): Promise<EffectivePreferences> {
    const [stored, zone] = await Promise.all([store.getPreferences(userId), deps.writers.timeZone(userId)]);
    return effectivePreferences(stored?.settings ?? {}, zone, stored?.tokenEmail ?? null);
  }

  function channelStatus(): Record<NotificationChannel, ChannelStatus> {
    const out = {} as Record<NotificationChannel, ChannelStatus>;
    for (const name of ['in_app', 'email', 'sms', 'push'] as const) {
      const channel = deps.channels.get(name);
      out[name] = channel ? channel.readiness() : { configured: false, detail: `no ${name} channel in this build` };
    }
    return out;
  }

  const cacheTtlMs = deps.cacheTtlMs ?? 10_000;
  const batch = createBatchNotifier({ store, writers: deps.writers, channels: deps.channels, clock, logger, cacheTtlMs, ...(deps.wake ? { wake: deps.wake } : {}) });
  // The rules consumer's recipients: pseudonym -> users, project -> owners; sightings change them.
  const byActor = createLookupCache({ load: (actors) => store.usersByActors(actors), clock, ttlMs: cacheTtlMs });
  const owners = createLookupCache({ load: (projects) => store.ownersOf(projects), clock, ttlMs: cacheTtlMs });
  // A connect burst sights every writer within a second: the sightings of one event-loop turn
  // are stored by two statements in all (not two each); a failed batch is retried one by one,
  // so each sighting settles with its own outcome.
  const sightingWrites = createBatchLoader<UserSighting, void>({
    retrySingly: true,
    async run(batch) {
      await store.recordSightings(batch);
      return batch.map(() => undefined);
    },
  });

  async function updatePreferences(userId: string, patch: StoredPreferences): Promise<PreferencesView> {
    const stored = (await store.getPreferences(userId))?.settings ?? {};
    try {
      await store.savePreferences(userId, deps.actorOf(userId), mergePreferences(stored, patch), clock.now());
    } finally {
      batch.invalidateUser(userId);
    }
    return { ...(await preferencesOf(userId)), channelStatus: channelStatus() };
  }

  /** One notification: null when its dedupe key was already stored (a redelivered event). */
  async function notify(input: NotifyInput): Promise<StoredNotification | null> {
    const [stored] = await batch.notifyMany([input]);
    return stored ?? null;
  }

  return {
    notify,
    /** Many at once (the rules consumer's batch): one transaction, answers in input order. */
    notifyMany: batch.notifyMany,
    /** The rules consumer's recipient lookups, cached (see cacheTtlMs) and invalidated by sightings. */
    recipients: {
      usersByActors: (actors: readonly string[]) => byActor.getMany(actors),
      ownersOf: (projectIds: readonly string[]) => owners.getMany(projectIds),
    },
    preferencesOf,
    channelStatus,

    /** Remembers a token's user (pseudonym, email claim, project roles); cheap to call on every request. */
    sighted(identity: { userId: string; projects: Readonly<Record<string, string>>; email?: string | undefined }): void {
      const signature = JSON.stringify([identity.email ?? null, identity.projects]);
      const now = clock.now();
      const last = sightings.get(identity.userId);
      if (last && last.signature === signature && now - last.at < SIGHTING_REFRESH_MS) return;
      sightings.set(identity.userId, { signature, at: now });
      if (sightings.size > 100_000) sightings.clear();
      const actor = deps.actorOf(identity.userId);
      sightingWrites
        .load({ userId: identity.userId, actor, email: identity.email ?? null, projects: identity.projects, at: now })
        // After the commit: the next batch reads the new pseudonym, roles and email claim.
        .finally(() => {
          byActor.invalidate([actor]);
          owners.invalidate(Object.keys(identity.projects));
          batch.invalidateUser(identity.userId);
        })
        .catch((error: unknown) => {
          sightings.delete(identity.userId);
          logger.warn({ err: error, user: identity.userId }, 'could not remember a user for notifications');
        });
    },

    async getPreferences(userId: string): Promise<PreferencesView> {
      return { ...(await preferencesOf(userId)), channelStatus: channelStatus() };
    },

    updatePreferences,

    /**
     * An email's one-click unsubscribe (a verified token's scope): the channel is taken off every
     * priority of the category (`*`: of every category), critical included, as the person asked.
     */
    async unsubscribe(scope: { userId: string; category: string; channel: NotificationChannel }): Promise<PreferencesView> {
      const prefs = await preferencesOf(scope.userId);
      const categories = scope.category === '*' ? NOTIFICATION_CATEGORIES : NOTIFICATION_CATEGORIES.filter((c) => c === scope.category);
      if (categories.length === 0) throw new AppError('validation-failed', 'Unknown category in the unsubscribe token', { category: scope.category });
      const channels: NonNullable<StoredPreferences['channels']> = {};
      for (const category of categories) {
        channels[category] = Object.fromEntries(NOTIFICATION_PRIORITIES.map((p) => [p, prefs.channels[category][p].filter((c) => c !== scope.channel)]));
      }
      return updatePreferences(scope.userId, { channels });
    },

    list: (query: InboxQuery) => store.list(query),
    unreadCount: (userId: string) => store.unreadCount(userId),
    async markRead(userId: string, id: string): Promise<void> {
      if (!(await store.markRead(userId, id, clock.now()))) throw new AppError('not-found', 'No such notification', { id });
    },
    markAllRead: (userId: string, filter?: { category?: NotificationCategory; projectId?: string }) => store.markAllRead(userId, clock.now(), filter),
    async archive(userId: string, id: string): Promise<void> {
      if (!(await store.archive(userId, id, clock.now()))) throw new AppError('not-found', 'No such notification', { id });
    },

    async deliveries(userId: string, notificationId: string): Promise<{ notification: StoredNotification; deliveries: DeliveryRecord[] }> {
      const notification = await store.get(userId, notificationId);
      if (!notification) throw new AppError('not-found', 'No such notification', { id: notificationId });
      return { notification, deliveries: await store.deliveriesOf(userId, notificationId) };
    },

    /** The digests that will go out next, with what they carry so far. */
    async digestPreview(userId: string): Promise<{ channel: NotificationChannel; dueAt: number; status: string; notifications: StoredNotification[]; folded: number }[]> {
      const digests = await store.pendingDigests(userId);
      const out = [];
      for (const d of digests) {
        const items = await store.getMany(d.notificationIds);
        out.push({ channel: d.channel, dueAt: d.dueAt, status: d.status, notifications: items, folded: items.filter((n) => n.folded).length });
      }
      return out;
    },

    async subscribePush(userId: string, input: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<PushSubscription> {
      return store.addPushSubscription({ id: uuidv7(clock.now()), userId, endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth, createdAt: clock.now() });
    },
    async unsubscribePush(userId: string, id: string): Promise<void> {
      if (!(await store.removePushSubscription(userId, id))) throw new AppError('not-found', 'No such push subscription', { id });
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
