/**
 * Notifying many at once (a read of bus events through the rules, or one REST send): the
 * context of every recipient in a constant number of queries (preferences, zones, auto-mute
 * counts; flow per writer in parallel), routing in memory (the pure `route`), every inbox row
 * and delivery in one transaction (group commit), then the in-app pushes straight away.
 *
 * Those in-app deliveries are stored already claimed under a lease of this notifier: the outbox
 * worker leaves them alone while it lasts, so a push is not made twice, and if this process dies
 * between the commit and the push, the lease runs out and the worker pushes them (at least once).
 * Going through the worker cost a poll/wake round and four queries per notification.
 */
import type { Clock } from '../../lib/clock.js';
import { errorMessage } from '../../lib/errors.js';
import { randomUUID, uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { AUTO_MUTE_WINDOW_MS, defaultFingerprint, effectivePreferences } from '../../notify/model.js';
import { route, type PlannedDelivery } from '../../notify/route.js';
import type { ChannelName, DeliveryChannel, SendResult } from './channels/channel.js';
import { outboundOf, type InAppMessage } from './in-app-channel.js';
import { fingerprintKey, type NotificationStore, type NotifyInput, type StoredNotification, type WriterState } from './ports.js';

export interface BatchNotifierDeps {
  store: NotificationStore;
  writers: WriterState;
  channels: ReadonlyMap<ChannelName, DeliveryChannel>;
  clock: Clock;
  logger: Logger;
  wake?: () => void;
  /** How long the worker leaves an in-app delivery to this notifier; default 30 s. */
  claimMs?: number;
}

type Planned = PlannedDelivery & { id: string; claim?: { token: string; until: number } };
interface Item {
  notification: StoredNotification & { dedupeKey: string | null };
  deliveries: Planned[];
}

const SEND_TIMEOUT_MS = 30_000;

async function mapOf<V>(keys: readonly string[], load: (key: string) => Promise<V>): Promise<Map<string, V>> {
  return new Map(await Promise.all(keys.map(async (k) => [k, await load(k)] as const)));
}

export function createBatchNotifier(deps: BatchNotifierDeps) {
  const { store, clock, logger } = deps;
  const claimMs = deps.claimMs ?? 30_000;
  const token = `notify:${randomUUID()}`;

  /** Everything routing needs for these inputs, in four parallel lookups. */
  async function contextOf(inputs: readonly (NotifyInput & { fingerprint: string })[], now: number) {
    const users = [...new Set(inputs.map((i) => i.userId))];
    const flowUsers = [...new Set(inputs.filter((i) => i.priority !== 'critical').map((i) => i.userId))];
    const pairs = [...new Map(inputs.map((i) => [fingerprintKey(i.userId, i.fingerprint), { userId: i.userId, fingerprint: i.fingerprint }])).values()];
    const [stored, zones, flow, counts] = await Promise.all([
      store.preferencesMany(users),
      deps.writers.timeZones ? deps.writers.timeZones(users) : mapOf(users, (u) => deps.writers.timeZone(u)),
      mapOf(flowUsers, (u) => deps.writers.inFlow(u)),
      store.countsSince(pairs, now - AUTO_MUTE_WINDOW_MS),
    ]);
    const prefs = new Map(users.map((u) => [u, effectivePreferences(stored.get(u)?.settings ?? {}, zones.get(u) ?? 'UTC', stored.get(u)?.tokenEmail ?? null)]));
    return { prefs, zones, flow, counts };
  }

  /** Pushes the claimed in-app deliveries; never throws (the lease covers a failure). */
  async function pushClaimed(items: readonly Item[], created: ReadonlySet<string>): Promise<void> {
    const inApp = deps.channels.get('in_app');
    const claimed = items.filter((i) => created.has(i.notification.id)).flatMap((i) => i.deliveries.filter((d) => d.claim).map((d) => ({ d, n: i.notification })));
    if (!inApp || claimed.length === 0) return;
    try {
      const results = await Promise.all(
        claimed.map(async ({ d, n }) => {
          const message: InAppMessage = { idempotencyKey: d.idempotencyKey, channel: 'in_app', kind: 'single', recipient: { userId: n.userId }, silent: d.silent, notifications: [outboundOf(n)] };
          const result: SendResult = await inApp.send(message, AbortSignal.timeout(SEND_TIMEOUT_MS)).catch((error: unknown) => ({ status: 'failed', permanent: false, error: errorMessage(error) }));
          return { id: d.id, result };
        }),
      );
      const now = clock.now();
      await store.finishSent(results.filter((r) => r.result.status === 'sent').map((r) => r.id), token, now);
      const failed = results.filter((r) => r.result.status === 'failed');
      // A failed push goes back to the outbox at once: the worker retries it with its backoff.
      for (const { id, result } of failed) {
        await store.finish(id, token, { status: result.status === 'failed' && result.permanent ? 'dead' : 'pending', dueAt: now, lastError: result.status === 'failed' ? result.error : null }, now);
      }
      if (failed.length > 0) deps.wake?.();
    } catch (error) {
      logger.warn({ err: error, deliveries: claimed.length }, 'in-app pushes not recorded; the outbox worker takes them over when their lease ends');
    }
  }

  /**
   * Stores and routes every input (answers in input order: the stored notification, or null when
   * its dedupe key existed). Throws only when nothing was stored (the transaction failed).
   */
  async function notifyMany(requests: readonly NotifyInput[]): Promise<(StoredNotification | null)[]> {
    if (requests.length === 0) return [];
    const now = clock.now();
    const inputs = requests.map((r) => ({ ...r, fingerprint: r.fingerprint ?? defaultFingerprint(r.category, r.title) }));
    const ctx = await contextOf(inputs, now);
    const inAppReady = deps.channels.get('in_app')?.readiness().configured === true;
    // Auto-mute counts the batch's own earlier notifications too, as one-at-a-time storing would.
    const earlier = new Map<string, number>();
    const items: Item[] = inputs.map((input) => {
      const id = uuidv7(now);
      const key = fingerprintKey(input.userId, input.fingerprint);
      const recent = (ctx.counts.get(key) ?? 0) + (earlier.get(key) ?? 0);
      earlier.set(key, (earlier.get(key) ?? 0) + 1);
      const result = route(
        { id, userId: input.userId, projectId: input.projectId, category: input.category, priority: input.priority },
        ctx.prefs.get(input.userId)!,
        { inFlow: input.priority !== 'critical' && ctx.flow.get(input.userId) === true, recentSameFingerprint: recent, timeZone: ctx.zones.get(input.userId) ?? 'UTC', ...(input.onlyChannels ? { onlyChannels: input.onlyChannels } : {}) },
        now,
      );
      const deliveries = result.deliveries.map((d): Planned => {
        const pushNow = inAppReady && d.channel === 'in_app' && d.status === 'pending' && d.dueAt <= now;
        return { ...d, id: uuidv7(now), ...(pushNow ? { claim: { token, until: now + claimMs } } : {}) };
      });
      const notification = {
        id,
        userId: input.userId,
        projectId: input.projectId,
        category: input.category,
        priority: input.priority,
        fingerprint: input.fingerprint,
        title: input.title,
        body: input.body,
        data: input.data ?? null,
        routing: result.reasons,
        folded: result.folded,
        createdAt: now,
        readAt: null,
        archivedAt: null,
        dedupeKey: input.dedupeKey ?? null,
      };
      return { notification, deliveries };
    });
    const created = await store.createMany(items);
    logger.debug({ notifications: items.length, created: created.size }, 'notifications routed');
    if (items.some((i) => created.has(i.notification.id) && i.deliveries.some((d) => !d.claim && d.status === 'pending' && d.dueAt <= now))) deps.wake?.();
    await pushClaimed(items, created);
    return items.map(({ notification: { dedupeKey: _key, ...n } }) => (created.has(n.id) ? n : null));
  }

  return { notifyMany };
}
