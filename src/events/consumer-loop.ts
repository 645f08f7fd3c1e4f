/**
 * The consumer loop both buses run: read, dedupe, handle, acknowledge, retry with backoff, take
 * over entries of dead members, dead-letter after `maxDeliveries`. A bus supplies only the
 * storage operations (`ConsumerSource`), so delivery semantics are written once and the contract
 * suite tests one behaviour through two storages.
 */
import { backoffDelay } from '../lib/backoff.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSpec, Subscription } from './bus.js';
import type { BusMetrics } from './bus-metrics.js';
import { DEFAULT_MAX_DELIVERIES, type ConsumerTuning, type SeenIds } from './bus-options.js';
import { parseEvent, type EventCategory, type EventType, type StoryloomEvent } from './schema.js';

/** One entry handed to this consumer. */
export interface Delivery {
  category: EventCategory;
  streamId: string;
  /** The event's JSON as stored; undefined when the entry has no event field (foreign writer). */
  data: string | undefined;
  /**
   * The event already validated by this process (the memory bus), shared by every group:
   * handlers read events, never change them.
   */
  event?: StoryloomEvent;
  /** How many times the entry has been delivered to the group, this delivery included. */
  deliveries: number;
}

export interface EntryRef {
  category: EventCategory;
  streamId: string;
}

/** Storage operations of one group member (Redis commands, or the memory bus's structures). */
export interface ConsumerSource {
  /** Creates the group on every stream if missing (idempotent). */
  prepare(): Promise<void>;
  /** New entries for this member (XREADGROUP >); waits up to blockMs when there are none (0: no wait). */
  read(count: number, blockMs: number): Promise<Delivery[]>;
  /** Entries of any member pending longer than minIdleMs, now this member's (XAUTOCLAIM). */
  claimIdle(minIdleMs: number, count: number): Promise<Delivery[]>;
  /** Takes back one of this member's failed entries for a retry (XCLAIM); null if it is gone or someone else holds it. */
  retry(entry: EntryRef, minIdleMs: number, deliveries: number): Promise<Delivery | null>;
  ack(entries: EntryRef[]): Promise<void>;
  /** Moves the entry to the dead-letter stream and acknowledges it, in one step. */
  deadLetter(delivery: Delivery, reason: string): Promise<void>;
  /** Wakes a blocked read (stop). */
  interrupt(): void;
  /** Releases connections; `clean` when nothing of this member is pending (so it can be forgotten). */
  release(clean: boolean): Promise<void>;
}

export interface ConsumerDeps {
  spec: ConsumerSpec;
  source: ConsumerSource;
  tuning: ConsumerTuning;
  logger: Logger;
  metrics: BusMetrics;
  /** Ids this member's group handled recently. */
  seen: SeenIds;
}

interface ScheduledRetry extends EntryRef {
  due: number;
  deliveries: number;
  delayMs: number;
}

const ERROR_BACKOFF = { baseMs: 100, maxMs: 5_000 };

/** Starts a member; the returned subscription's `ready` resolves once its groups exist. */
export function startConsumer(deps: ConsumerDeps): Subscription {
  const { spec, source, tuning, metrics, seen } = deps;
  const logger = deps.logger.child({ group: spec.group });
  const maxDeliveries = spec.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) throw new Error('maxDeliveries must be a positive integer');
  const types: ReadonlySet<EventType> | null = spec.types ? new Set(spec.types) : null;
  const retries = new Map<string, ScheduledRetry>();
  let acks: EntryRef[] = [];
  let stopping = false;
  let abandoned = false;
  let nextClaimAt = 0; // claim at once: a restarted member picks up what a dead one left
  let wakeSleep: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const flushAcks = async () => {
    if (acks.length === 0) return;
    const batch = acks;
    acks = [];
    try {
      await source.ack(batch);
    } catch (error) {
      acks = batch.concat(acks);
      throw error;
    }
  };

  const deadLetter = async (delivery: Delivery, reason: string) => {
    await source.deadLetter(delivery, reason);
    metrics.deadLettered(delivery.category, spec.group);
    logger.warn({ category: delivery.category, streamId: delivery.streamId, deliveries: delivery.deliveries, reason }, 'event dead-lettered');
  };

  /**
   * Parses a delivery and settles what needs no handler: returns the event to handle, or
   * undefined once the entry is dead-lettered or queued for acknowledgement. Shared by the
   * per-event and the batch path, so both park and skip exactly the same entries.
   */
  const screen = async (delivery: Delivery): Promise<StoryloomEvent | undefined> => {
    let event: StoryloomEvent;
    try {
      if (delivery.event !== undefined) event = delivery.event;
      else if (delivery.data === undefined) throw new Error('entry has no event field');
      else event = parseEvent(JSON.parse(delivery.data));
    } catch (error) {
      // Retrying cannot fix a malformed entry: park it at once.
      await deadLetter(delivery, `invalid event: ${errorMessage(error)}`);
      return undefined;
    }
    if (delivery.deliveries > maxDeliveries) {
      // Taken over from members that died while handling it, more often than allowed: a poison
      // event that crashes its consumer must not crash every member in turn forever.
      await deadLetter(delivery, `delivered ${delivery.deliveries} times without an acknowledgement`);
      return undefined;
    }
    if (types && !types.has(event.type)) {
      acks.push(delivery);
      return undefined;
    }
    return event;
  };

  const handled = (delivery: Delivery, event: StoryloomEvent) => {
    seen.add(event.id);
    metrics.consumed(delivery.category, spec.group);
    acks.push(delivery);
  };

  /** `handle` for one screened event; a failure schedules a retry with backoff or dead-letters it. */
  const handleEvent = async (delivery: Delivery, event: StoryloomEvent) => {
    if (seen.has(event.id)) {
      acks.push(delivery);
      return;
    }
    try {
      await spec.handle(event);
    } catch (error) {
      metrics.handlerFailed(delivery.category, spec.group);
      if (delivery.deliveries >= maxDeliveries) {
        await deadLetter(delivery, errorMessage(error));
        return;
      }
      const delayMs = backoffDelay(delivery.deliveries - 1, { baseMs: tuning.retryDelayMs.base, maxMs: tuning.retryDelayMs.max });
      retries.set(`${delivery.category}|${delivery.streamId}`, { ...delivery, due: Date.now() + delayMs, delayMs });
      logger.debug({ err: error, eventId: event.id, deliveries: delivery.deliveries, delayMs }, 'handler failed; will retry');
      return;
    }
    // After abandonment another member may own the entry: acknowledging it would hide that member's work.
    if (abandoned) return;
    handled(delivery, event);
  };

  /** Handles the deliveries one by one; false once the member was abandoned. */
  const handleEach = async (deliveries: Delivery[]): Promise<boolean> => {
    for (const delivery of deliveries) {
      // Once abandoned, the member is gone: no handler may start after stop() returned.
      if (abandoned) return false;
      const event = await screen(delivery);
      if (event !== undefined) await handleEvent(delivery, event);
    }
    return true;
  };

  /**
   * Handles the deliveries with one `handleBatch` call, falling back to `handle` per event when it
   * throws; false once the member was abandoned.
   */
  const handleAtOnce = async (deliveries: Delivery[], handleBatch: (events: StoryloomEvent[]) => Promise<void>): Promise<boolean> => {
    const batch: { delivery: Delivery; event: StoryloomEvent; repeat: boolean }[] = [];
    const ids = new Set<string>();
    for (const delivery of deliveries) {
      if (abandoned) return false;
      const event = await screen(delivery);
      if (event === undefined) continue;
      if (seen.has(event.id)) {
        acks.push(delivery);
        continue;
      }
      // The same event twice in one read (a producer's retry): the handler gets it once, as it
      // would one event at a time, where the first copy's success makes the second a repeat.
      batch.push({ delivery, event, repeat: ids.has(event.id) });
      ids.add(event.id);
    }
    if (batch.length === 0) return true;
    if (abandoned) return false;
    try {
      await handleBatch(batch.filter((b) => !b.repeat).map((b) => b.event));
    } catch (error) {
      // Per event, a poison event fails alone and gets its own retries and dead letter; the
      // handler's failure metric and log come from those calls, as without a batch handler.
      logger.debug({ err: error, events: ids.size }, 'batch handler failed; handling its events one at a time');
      for (const { delivery, event } of batch) {
        if (abandoned) return false;
        await handleEvent(delivery, event);
      }
      return true;
    }
    if (abandoned) return false;
    for (const { delivery, event, repeat } of batch) {
      if (repeat) acks.push(delivery);
      else handled(delivery, event);
    }
    return true;
  };

  /**
   * Handles what a read or a takeover returned, in one batch when the consumer has a batch
   * handler. Retries go one by one (`batch` false): their event already failed alone in `handle`.
   */
  const processAll = async (deliveries: Delivery[], batch: boolean) => {
    const finished = batch && spec.handleBatch ? await handleAtOnce(deliveries, spec.handleBatch) : await handleEach(deliveries);
    // Once abandoned, stop() acknowledges what finished.
    if (finished) await flushAcks();
  };

  const runDueRetries = async () => {
    const now = Date.now();
    for (const [key, retry] of retries) {
      if (retry.due > now || stopping) continue;
      retries.delete(key);
      const delivery = await source.retry(retry, Math.floor(retry.delayMs / 2), retry.deliveries + 1);
      if (delivery) await processAll([delivery], false);
    }
  };

  const nextRetryDue = () => {
    let due = Infinity;
    for (const retry of retries.values()) due = Math.min(due, retry.due);
    return due;
  };

  // Group creation retries until it works: Redis may be down when the subscription starts.
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const prepare = async (): Promise<boolean> => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        await source.prepare();
        return true;
      } catch (error) {
        logger.warn({ err: error }, 'cannot create consumer group yet; retrying');
        await sleep(backoffDelay(attempt, ERROR_BACKOFF));
      }
    }
    return false;
  };

  const run = async () => {
    const prepared = await prepare();
    resolveReady();
    if (!prepared) return;
    let failures = 0;
    while (!stopping) {
      try {
        if (Date.now() >= nextClaimAt) {
          const claimed = await source.claimIdle(tuning.claimIdleMs, tuning.batchSize);
          // A full batch means more may be waiting: claim again right after this one.
          nextClaimAt = claimed.length >= tuning.batchSize ? 0 : Date.now() + Math.max(50, tuning.claimIdleMs / 2);
          await processAll(claimed, true);
        }
        await runDueRetries();
        if (stopping) break;
        const wait = Math.max(0, Math.min(tuning.blockMs, nextClaimAt - Date.now(), nextRetryDue() - Date.now()));
        await processAll(await source.read(tuning.batchSize, wait), true);
        failures = 0;
      } catch (error) {
        if (stopping) break;
        failures++;
        const delay = backoffDelay(failures - 1, ERROR_BACKOFF);
        // The first failure of a streak is worth a warning; the rest would only flood the log.
        if (failures === 1) logger.warn({ err: error }, 'event consumer error; retrying');
        await sleep(delay);
      }
    }
  };

  const done = run().catch((error) => logger.error({ err: error }, 'event consumer stopped unexpectedly'));
  let stopped: Promise<void> | undefined;

  return {
    ready,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        source.interrupt();
        wakeSleep?.();
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          done.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), tuning.drainTimeoutMs))),
        ]);
        clearTimeout(timer);
        if (!finished) {
          abandoned = true;
          logger.warn({ drainTimeoutMs: tuning.drainTimeoutMs }, 'handler still running at stop; abandoning it unacknowledged');
        }
        // Entries whose handlers finished are acknowledged even when a later one was abandoned.
        await flushAcks().catch((error) => logger.warn({ err: error }, 'could not acknowledge at stop'));
        await source.release(finished && retries.size === 0);
      })();
      return stopped;
    },
  };
}
