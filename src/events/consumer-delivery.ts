/**
 * The delivery step of a consumer member: screen each entry (malformed or poison entries go to
 * the dead letters, types the consumer does not handle are acknowledged unread), skip events
 * the group handled recently (delivery is at least once), call the handler (in one batch when
 * the consumer has a batch handler), then queue the acknowledgement or schedule a retry with
 * backoff. The read loop and stop() are consumer-loop.ts.
 */
import { backoffDelay } from '../lib/backoff.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSpec } from './bus.js';
import type { BusMetrics } from './bus-metrics.js';
import type { ConsumerTuning, SeenIds } from './bus-options.js';
import type { ConsumerSource, Delivery } from './consumer-source.js';
import type { AckBuffer, RetrySchedule } from './consumer-state.js';
import { parseEvent, type EventType, type StoryloomEvent } from './schema.js';

/** What to do with one entry before any handler sees it. */
export type Screened = { event: StoryloomEvent } | { deadLetter: string } | { skip: true };

/**
 * Classifies a delivery (pure): the event to handle, a reason to dead-letter it, or skip (a type
 * this consumer does not handle: acknowledged unread).
 */
export function screenDelivery(delivery: Delivery, maxDeliveries: number, types: ReadonlySet<EventType> | null): Screened {
  let event: StoryloomEvent;
  try {
    if (delivery.event !== undefined) event = delivery.event;
    else if (delivery.data === undefined) throw new Error('entry has no event field');
    else event = parseEvent(JSON.parse(delivery.data));
  } catch (error) {
    // Retrying cannot fix a malformed entry: park it at once.
    return { deadLetter: `invalid event: ${errorMessage(error)}` };
  }
  if (delivery.deliveries > maxDeliveries) {
    // Taken over from members that died while handling it, more often than allowed: a poison
    // event that crashes its consumer must not crash every member in turn forever.
    return { deadLetter: `delivered ${delivery.deliveries} times without an acknowledgement` };
  }
  if (types && !types.has(event.type)) return { skip: true };
  return { event };
}

export interface DeliveryDeps {
  spec: ConsumerSpec;
  source: Pick<ConsumerSource, 'deadLetter'>;
  tuning: ConsumerTuning;
  logger: Logger;
  metrics: BusMetrics;
  /** Ids this member's group handled recently (the dedupe window). */
  seen: SeenIds;
  maxDeliveries: number;
  acks: AckBuffer;
  retries: RetrySchedule;
  /** True once stop() gave up waiting: no handler may start, nothing more is acknowledged here. */
  abandoned(): boolean;
}

/** Handles the deliveries of one read, takeover or retry for one member. */
export class DeliveryHandler {
  private readonly types: ReadonlySet<EventType> | null;

  constructor(private readonly d: DeliveryDeps) {
    this.types = d.spec.types ? new Set(d.spec.types) : null;
  }

  /**
   * Handles what a read or a takeover returned, in one batch when the consumer has a batch
   * handler. Retries go one by one (`batch` false): their event already failed alone in `handle`.
   */
  async process(deliveries: Delivery[], batch: boolean): Promise<void> {
    const handleBatch = this.d.spec.handleBatch;
    const finished = batch && handleBatch ? await this.handleAtOnce(deliveries, handleBatch) : await this.handleEach(deliveries);
    // Once abandoned, stop() acknowledges what finished.
    if (finished) await this.d.acks.flush();
  }

  private async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    const { source, metrics, spec, logger } = this.d;
    await source.deadLetter(delivery, reason);
    metrics.deadLettered(delivery.category, spec.group);
    logger.warn({ category: delivery.category, streamId: delivery.streamId, deliveries: delivery.deliveries, reason }, 'event dead-lettered');
  }

  /**
   * The event to handle, or undefined once the entry is dead-lettered or queued for
   * acknowledgement. Shared by the per-event and the batch path, so both park and skip exactly
   * the same entries.
   */
  private async screen(delivery: Delivery): Promise<StoryloomEvent | undefined> {
    const screened = screenDelivery(delivery, this.d.maxDeliveries, this.types);
    if ('deadLetter' in screened) await this.deadLetter(delivery, screened.deadLetter);
    else if ('skip' in screened) this.d.acks.add(delivery);
    else return screened.event;
    return undefined;
  }

  private handled(delivery: Delivery, event: StoryloomEvent): void {
    this.d.seen.add(event.id);
    this.d.metrics.consumed(delivery.category, this.d.spec.group);
    this.d.acks.add(delivery);
  }

  /** `handle` for one screened event; a failure schedules a retry with backoff or dead-letters it. */
  private async handleEvent(delivery: Delivery, event: StoryloomEvent): Promise<void> {
    const { spec, tuning, metrics, logger, maxDeliveries } = this.d;
    if (this.d.seen.has(event.id)) {
      this.d.acks.add(delivery);
      return;
    }
    try {
      await spec.handle(event);
    } catch (error) {
      metrics.handlerFailed(delivery.category, spec.group);
      if (delivery.deliveries >= maxDeliveries) {
        await this.deadLetter(delivery, errorMessage(error));
        return;
      }
      const delayMs = backoffDelay(delivery.deliveries - 1, { baseMs: tuning.retryDelayMs.base, maxMs: tuning.retryDelayMs.max });
      this.d.retries.schedule(delivery, delayMs, Date.now());
      logger.debug({ err: error, eventId: event.id, deliveries: delivery.deliveries, delayMs }, 'handler failed; will retry');
      return;
    }
    // After abandonment another member may own the entry: acknowledging it would hide that member's work.
    if (this.d.abandoned()) return;
    this.handled(delivery, event);
  }

  /** Handles the deliveries one by one; false once the member was abandoned. */
  private async handleEach(deliveries: Delivery[]): Promise<boolean> {
    for (const delivery of deliveries) {
      // Once abandoned, the member is gone: no handler may start after stop() returned.
      if (this.d.abandoned()) return false;
      const event = await this.screen(delivery);
      if (event !== undefined) await this.handleEvent(delivery, event);
    }
    return true;
  }

  /**
   * Handles the deliveries with one `handleBatch` call, falling back to `handle` per event when it
   * throws; false once the member was abandoned.
   */
  private async handleAtOnce(deliveries: Delivery[], handleBatch: (events: StoryloomEvent[]) => Promise<void>): Promise<boolean> {
    const batch: { delivery: Delivery; event: StoryloomEvent; repeat: boolean }[] = [];
    const ids = new Set<string>();
    for (const delivery of deliveries) {
      if (this.d.abandoned()) return false;
      const event = await this.screen(delivery);
      if (event === undefined) continue;
      if (this.d.seen.has(event.id)) {
        this.d.acks.add(delivery);
        continue;
      }
      // The same event twice in one read (a producer's retry): the handler gets it once, as it
      // would one event at a time, where the first copy's success makes the second a repeat.
      batch.push({ delivery, event, repeat: ids.has(event.id) });
      ids.add(event.id);
    }
    if (batch.length === 0) return true;
    if (this.d.abandoned()) return false;
    try {
      await handleBatch(batch.filter((b) => !b.repeat).map((b) => b.event));
    } catch (error) {
      // Per event, a poison event fails alone and gets its own retries and dead letter; the
      // handler's failure metric and log come from those calls, as without a batch handler.
      this.d.logger.debug({ err: error, events: ids.size }, 'batch handler failed; handling its events one at a time');
      for (const { delivery, event } of batch) {
        if (this.d.abandoned()) return false;
        await this.handleEvent(delivery, event);
      }
      return true;
    }
    if (this.d.abandoned()) return false;
    for (const { delivery, event, repeat } of batch) {
      if (repeat) this.d.acks.add(delivery);
      else this.handled(delivery, event);
    }
    return true;
  }
}
