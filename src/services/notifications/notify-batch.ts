/**
 * Notifying many at once (a read of bus events through the rules, or one REST send): the
 * context of every recipient (preferences and zones from a cache, lookup-cache.ts; auto-mute
 * counts in one query; flow per writer in parallel), routing in memory (the pure `route`), every
 * inbox row and delivery in one transaction (group commit), and the in-app pushes straight from
 * here, not through the outbox worker (that cost a poll/wake round and four queries each).
 *
 * Two orders (docs/notifications.md, "In-app push and the inbox commit"):
 * - `pushFirst` (the rules consumer: the bus redelivers a read until handleBatch resolves, and
 *   every input carries a stable `id` and `dedupeKey`): push, then store the inbox rows with the
 *   in-app deliveries already `sent`. The push waits for no write; a crash before the commit
 *   means no acknowledgement, so the event comes again and is pushed again with the same
 *   notification id, which the client de-duplicates. One UPDATE per batch fewer.
 * - otherwise (a REST send, a break suggestion: nobody redelivers them): store first, the in-app
 *   deliveries already claimed under a lease of this notifier, then push and record `sent`. If
 *   this process dies between the commit and the push, the lease runs out and the worker pushes.
 *
 * A delivery due now on a channel this build has not configured is stored `failed` with the
 * reason straight away (what the worker would record a moment later, one UPDATE each).
 */
import type { Clock } from '../../lib/clock.js';
import { errorMessage } from '../../lib/errors.js';
import { randomUUID, uuidv7 } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import { AUTO_MUTE_WINDOW_MS, defaultFingerprint, effectivePreferences } from '../../notify/model.js';
import { route, type PlannedDelivery } from '../../notify/route.js';
import { unconfiguredReason, type ChannelName, type DeliveryChannel, type SendResult } from './channels/channel.js';
import { outboundOf, type InAppMessage } from './in-app-channel.js';
import { createLookupCache } from './lookup-cache.js';
import { fingerprintKey, type DeliveryOutcome, type NotificationStore, type NotifyInput, type StoredNotification, type WriterState } from './ports.js';

export interface BatchNotifierDeps {
  store: NotificationStore;
  writers: WriterState;
  channels: ReadonlyMap<ChannelName, DeliveryChannel>;
  clock: Clock;
  logger: Logger;
  wake?: () => void;
  /** How long the worker leaves an in-app delivery to this notifier; default 30 s. */
  claimMs?: number;
  /** How long cached preferences and zones may be used (lookup-cache.ts); default 10 s. */
  cacheTtlMs?: number;
}

/** `push`: an in-app delivery this notifier pushes before the commit (pushFirst). */
type Planned = PlannedDelivery & { id: string; claim?: { token: string; until: number }; outcome?: DeliveryOutcome; push?: true };
interface Item {
  notification: StoredNotification & { dedupeKey: string | null };
  deliveries: Planned[];
}

export interface NotifyManyOptions {
  /** The caller's source redelivers until this resolves, and every input has `id` and `dedupeKey`. */
  pushFirst?: boolean;
}

const SEND_TIMEOUT_MS = 30_000;

async function mapOf<V>(keys: readonly string[], load: (key: string) => Promise<V>): Promise<Map<string, V>> {
  return new Map(await Promise.all(keys.map(async (k) => [k, await load(k)] as const)));
}

export function createBatchNotifier(deps: BatchNotifierDeps) {
  const { store, clock, logger } = deps;
  const claimMs = deps.claimMs ?? 30_000;
  const token = `notify:${randomUUID()}`;
  const ttlMs = deps.cacheTtlMs ?? 10_000;
  const preferences = createLookupCache({ load: (users) => store.preferencesMany(users), clock, ttlMs });
  // The writing service owns the zone (no invalidation reaches here): the TTL bounds a change's delay.
  const timeZones = createLookupCache({ load: (users) => (deps.writers.timeZones ? deps.writers.timeZones(users) : mapOf(users, (u) => deps.writers.timeZone(u))), clock, ttlMs });

  /** Everything routing needs for these inputs: cached lookups, one count query, flow per writer. */
  async function contextOf(inputs: readonly (NotifyInput & { fingerprint: string })[], now: number) {
    const users = [...new Set(inputs.map((i) => i.userId))];
    const flowUsers = [...new Set(inputs.filter((i) => i.priority !== 'critical').map((i) => i.userId))];
    const pairs = [...new Map(inputs.map((i) => [fingerprintKey(i.userId, i.fingerprint), { userId: i.userId, fingerprint: i.fingerprint }])).values()];
    const [stored, zones, flow, counts] = await Promise.all([
      preferences.getMany(users),
      timeZones.getMany(users),
      mapOf(flowUsers, (u) => deps.writers.inFlow(u)),
      store.countsSince(pairs, now - AUTO_MUTE_WINDOW_MS),
    ]);
    const prefs = new Map(users.map((u) => [u, effectivePreferences(stored.get(u)?.settings ?? {}, zones.get(u) ?? 'UTC', stored.get(u)?.tokenEmail ?? null)]));
    return { prefs, zones, flow, counts };
  }

  /** Pushes these in-app deliveries; answers each one's result (a throw counts as a transient failure). */
  async function pushAll(targets: readonly { d: Planned; n: StoredNotification }[]): Promise<{ d: Planned; result: SendResult }[]> {
    const inApp = deps.channels.get('in_app');
    if (!inApp) return [];
    return Promise.all(
      targets.map(async ({ d, n }) => {
        const message: InAppMessage = { idempotencyKey: d.idempotencyKey, channel: 'in_app', kind: 'single', recipient: { userId: n.userId }, silent: d.silent, notifications: [outboundOf(n)] };
        const result: SendResult = await inApp.send(message, AbortSignal.timeout(SEND_TIMEOUT_MS)).catch((error: unknown) => ({ status: 'failed', permanent: false, error: errorMessage(error) }));
        return { d, result };
      }),
    );
  }

  /** Pushes the claimed in-app deliveries after the commit; never throws (the lease covers a failure). */
  async function pushClaimed(items: readonly Item[], created: ReadonlySet<string>): Promise<void> {
    const claimed = items.filter((i) => created.has(i.notification.id)).flatMap((i) => i.deliveries.filter((d) => d.claim).map((d) => ({ d, n: i.notification })));
    if (claimed.length === 0) return;
    try {
      const results = (await pushAll(claimed)).map(({ d, result }) => ({ id: d.id, result }));
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

  /** What a delivery due now on a channel this build lacks records at once (the worker's wording). */
  function unconfigured(d: PlannedDelivery, now: number): DeliveryOutcome | undefined {
    // Digests gather notifications until their time (an unconfigured one fails at send, as before).
    if (d.kind !== 'single' || d.status !== 'pending' || d.dueAt > now) return undefined;
    const lastError = unconfiguredReason(deps.channels, d.channel);
    return lastError === undefined ? undefined : { status: 'failed', lastError, attempts: 0 };
  }

  /** The outcome a push made before the commit is stored with: sent, or back to the worker. */
  function outcomeOf(result: SendResult): DeliveryOutcome {
    if (result.status === 'sent') return { status: 'sent', lastError: null, attempts: 1 };
    return { status: result.permanent ? 'dead' : 'pending', lastError: result.error, attempts: 1 };
  }

  /**
   * Stores and routes every input (answers in input order: the stored notification, or null when
   * its dedupe key existed). Throws only when nothing was stored (the transaction failed).
   */
  async function notifyMany(requests: readonly NotifyInput[], options: NotifyManyOptions = {}): Promise<(StoredNotification | null)[]> {
    if (requests.length === 0) return [];
    const now = clock.now();
    const pushFirst = options.pushFirst === true;
    // A dedupe key twice in one batch (an event read twice) is stored and pushed once: the first.
    const keys = new Set<string>();
    const firsts = requests.filter((r) => r.dedupeKey === undefined || (!keys.has(r.dedupeKey) && keys.add(r.dedupeKey)));
    const inputs = firsts.map((r) => ({ ...r, fingerprint: r.fingerprint ?? defaultFingerprint(r.category, r.title) }));
    const ctx = await contextOf(inputs, now);
    const inAppReady = deps.channels.get('in_app')?.readiness().configured === true;
    // Auto-mute counts the batch's own earlier notifications too, as one-at-a-time storing would.
    const earlier = new Map<string, number>();
    const items: Item[] = inputs.map((input) => {
      const id = input.id ?? uuidv7(now);
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
        const outcome = unconfigured(d, now);
        if (outcome) return { ...d, id: uuidv7(now), outcome };
        if (!pushNow) return { ...d, id: uuidv7(now) };
        return pushFirst ? { ...d, id: uuidv7(now), push: true } : { ...d, id: uuidv7(now), claim: { token, until: now + claimMs } };
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
    if (pushFirst) {
      // Before the commit: a redelivery after a crash pushes the same ids again (see the top).
      const pushed = await pushAll(items.flatMap((i) => i.deliveries.filter((d) => d.push).map((d) => ({ d, n: i.notification }))));
      for (const { d, result } of pushed) d.outcome = outcomeOf(result);
    }
    const created = await store.createMany(items);
    logger.debug({ notifications: items.length, created: created.size }, 'notifications routed');
    if (items.some((i) => created.has(i.notification.id) && i.deliveries.some((d) => !d.claim && (d.outcome?.status ?? d.status) === 'pending' && d.dueAt <= now))) deps.wake?.();
    if (!pushFirst) await pushClaimed(items, created);
    // Items are in the order of `firsts`; a request left out as a repeat answers null.
    const stored = new Map(items.map(({ notification: { dedupeKey: _key, ...n } }, k) => [firsts[k]!, created.has(n.id) ? n : null] as const));
    return requests.map((r) => stored.get(r) ?? null);
  }

  return {
    notifyMany,
    /** After a write of the user's preferences or email claim (this instance sees it at once). */
    invalidateUser(userId: string): void {
      preferences.invalidate([userId]);
    },
  };
}
