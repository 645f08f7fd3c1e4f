/**
 * The outbox worker: every instance runs one; the database hands each due delivery to exactly
 * one of them (claimDue: FOR UPDATE SKIP LOCKED plus a lease). Sends through the channel,
 * records the outcome under the lease, retries with backoff and full jitter (src/lib/backoff.ts),
 * records permanent errors as dead, drops push subscriptions a push service called expired,
 * releases quiet-hours holds when they end and flow holds once the writer left flow. Digests
 * are ordinary deliveries due at their cadence.
 *
 * A channel that is not configured, or a recipient without an address for it, makes the
 * delivery `failed` with the reason: never a silent success.
 */
import { backoffDelay, type BackoffBounds } from '../../lib/backoff.js';
import type { Clock } from '../../lib/clock.js';
import { errorMessage } from '../../lib/errors.js';
import { randomUUID } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { EffectivePreferences } from '../../notify/model.js';
import { releaseFromFlow } from '../../notify/route.js';
import { unconfiguredReason, type ChannelName, type DeliveryChannel, type OutboundMessage, type SendResult } from './channels/channel.js';
import { outboundOf, type InAppMessage } from './in-app-channel.js';
import type { WriterState } from './notification-service.js';
import type { DeliveryRecord, NotificationStore, StoredNotification } from './ports.js';

export interface OutboxWorkerDeps {
  store: NotificationStore;
  channels: ReadonlyMap<ChannelName, DeliveryChannel>;
  writers: Pick<WriterState, 'inFlow'>;
  preferencesOf(userId: string): Promise<EffectivePreferences>;
  clock: Clock;
  logger: Logger;
  /** Poll period when idle; default 1,000 ms (a local notify wakes the worker at once). */
  pollMs?: number;
  /** Deliveries claimed per round; default 50. */
  batch?: number;
  /** A claim's lease: a worker that died mid-send leaves the row to others after it. Default 60 s. */
  leaseMs?: number;
  /** Attempts before a transient failure becomes dead; default 8. */
  maxAttempts?: number;
  backoff?: BackoffBounds;
  /** One send's time limit; default 30 s. */
  sendTimeoutMs?: number;
  random?: () => number;
}

export interface OutboxWorker {
  start(): void;
  /** Runs one round now (tests with a manual clock drive the worker with it); resolves with the deliveries handled. */
  runOnce(): Promise<number>;
  wake(): void;
  /** Stops polling and waits for the round in progress. */
  stop(): Promise<void>;
}

export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { store, clock, logger } = deps;
  const pollMs = deps.pollMs ?? 1_000;
  const batch = deps.batch ?? 50;
  const leaseMs = deps.leaseMs ?? 60_000;
  const maxAttempts = deps.maxAttempts ?? 8;
  const bounds = deps.backoff ?? { baseMs: 1_000, maxMs: 15 * 60_000 };
  const sendTimeoutMs = deps.sendTimeoutMs ?? 30_000;
  const token = randomUUID();
  let running = false;
  let round: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wakeRequested = false;

  async function releaseFlowHolds(now: number): Promise<void> {
    const held = await store.flowHeld(500);
    const byUser = new Map<string, DeliveryRecord[]>();
    for (const d of held) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d]);
    for (const [userId, rows] of byUser) {
      if (await deps.writers.inFlow(userId)) continue;
      const prefs = await deps.preferencesOf(userId);
      for (const d of rows) await store.rescheduleHeld(d.id, releaseFromFlow(d.channel, prefs, now), now);
    }
  }

  async function failure(d: DeliveryRecord, status: 'failed' | 'dead', reason: string): Promise<void> {
    await store.finish(d.id, token, { status, lastError: reason }, clock.now());
    logger.warn({ delivery: d.id, channel: d.channel, status, reason }, 'notification not delivered');
  }

  /** What one round shares between its deliveries: their notifications (one query), preferences per user. */
  interface RoundData {
    items: ReadonlyMap<string, StoredNotification>;
    prefs(userId: string): Promise<EffectivePreferences>;
  }

  /** Sends one claimed delivery; answers true when it was sent and only the `sent` record is left to write. */
  async function deliver(d: DeliveryRecord, round: RoundData): Promise<boolean> {
    const channel = deps.channels.get(d.channel);
    const unconfigured = unconfiguredReason(deps.channels, d.channel);
    if (!channel || unconfigured !== undefined) {
      await failure(d, 'failed', unconfigured ?? `channel ${d.channel} is not configured`);
      return false;
    }
    const items = d.notificationIds.flatMap((id) => round.items.get(id) ?? []).sort((a, b) => a.createdAt - b.createdAt);
    if (items.length === 0) {
      await failure(d, 'dead', 'its notifications no longer exist');
      return false;
    }
    const recipient: OutboundMessage['recipient'] = { userId: d.userId };
    // Only email and SMS need the address from the preferences: in-app and push skip that query.
    if (d.channel === 'email' || d.channel === 'sms') {
      const prefs = await round.prefs(d.userId);
      if (prefs.email) recipient.email = prefs.email;
      if (prefs.phone) recipient.phone = prefs.phone;
    }
    if (d.channel === 'email' && !recipient.email) return failure(d, 'failed', 'no email address (token claim or preferences)').then(() => false);
    if (d.channel === 'sms' && !recipient.phone) return failure(d, 'failed', 'no phone number in the preferences').then(() => false);
    if (d.channel === 'push') {
      const subs = await store.pushSubscriptions(d.userId);
      if (subs.length === 0) return failure(d, 'failed', 'no push subscription').then(() => false);
      recipient.pushSubscriptions = subs.map((s) => ({ id: s.id, endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }));
    }
    const message: InAppMessage = { idempotencyKey: d.idempotencyKey, channel: d.channel, kind: d.kind, recipient, silent: d.silent, notifications: items.map(outboundOf) };
    let result: SendResult;
    try {
      result = await channel.send(message, AbortSignal.timeout(sendTimeoutMs));
    } catch (error) {
      // A channel should answer, not throw; a throw counts as a transient failure.
      result = { status: 'failed', permanent: false, error: errorMessage(error) };
    }
    const now = clock.now();
    if (result.expiredSubscriptionIds?.length) await store.deletePushSubscriptions(result.expiredSubscriptionIds);
    if (result.status === 'sent') {
      // Sent without a provider id: recorded with the round's others in one statement.
      if (!result.providerId) return true;
      const recorded = await store.finish(d.id, token, { status: 'sent', lastError: null, providerId: result.providerId }, now);
      if (!recorded) logger.warn({ delivery: d.id }, 'sent after the lease ran out: another worker may send it again');
      return false;
    }
    if (result.permanent) return failure(d, 'dead', result.error).then(() => false);
    if (d.attempts >= maxAttempts) return failure(d, 'dead', `gave up after ${d.attempts} attempts: ${result.error}`).then(() => false);
    const delay = Math.max(result.retryAfterMs ?? 0, backoffDelay(d.attempts - 1, bounds, deps.random));
    await store.finish(d.id, token, { status: 'pending', dueAt: now + delay, lastError: result.error }, now);
    return false;
  }

  async function runRound(): Promise<number> {
    const now = clock.now();
    await store.releaseDueHolds(now);
    await releaseFlowHolds(now);
    const claimed = await store.claimDue(now, batch, leaseMs, token);
    if (claimed.length === 0) return 0;
    const items = new Map((await store.getMany([...new Set(claimed.flatMap((d) => d.notificationIds))])).map((n) => [n.id, n]));
    const prefs = new Map<string, Promise<EffectivePreferences>>();
    const round: RoundData = {
      items,
      prefs(userId) {
        let p = prefs.get(userId);
        if (!p) prefs.set(userId, (p = deps.preferencesOf(userId)));
        return p;
      },
    };
    const sent: string[] = [];
    await Promise.all(
      claimed.map((d) =>
        deliver(d, round).then(
          (done) => void (done && sent.push(d.id)),
          (error: unknown) => {
            // The lease runs out and another round (here or elsewhere) takes it over.
            logger.error({ err: error, delivery: d.id }, 'notification delivery crashed');
          },
        ),
      ),
    );
    const recorded = await store.finishSent(sent, token, clock.now());
    for (const id of sent) if (!recorded.has(id)) logger.warn({ delivery: id }, 'sent after the lease ran out: another worker may send it again');
    return claimed.length;
  }

  function runOnce(): Promise<number> {
    round ??= runRound().finally(() => {
      round = undefined;
    });
    return round;
  }

  function schedule(delay: number): void {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void loop(), delay);
  }

  async function loop(): Promise<void> {
    wakeRequested = false;
    let handled = 0;
    try {
      handled = await runOnce();
    } catch (error) {
      logger.warn({ err: error }, 'outbox round failed');
    }
    schedule(handled >= batch || wakeRequested ? 0 : pollMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    runOnce,
    wake() {
      if (!running) return;
      if (round) wakeRequested = true;
      else schedule(0);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await round?.catch(() => {});
    },
  };
}
