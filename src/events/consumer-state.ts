/**
 * The two pieces of mutable state a consumer member keeps between reads: acknowledgements not
 * yet sent, and failed entries waiting for their retry. Small classes so the loop
 * (consumer-loop.ts) and the delivery step (consumer-delivery.ts) share them without sharing
 * closures.
 */
import type { ConsumerSource, Delivery, EntryRef } from './consumer-source.js';

/** Entries handled (or skipped) and not yet acknowledged: sent in one call per read. */
export class AckBuffer {
  private pending: EntryRef[] = [];

  constructor(private readonly source: Pick<ConsumerSource, 'ack'>) {}

  add(entry: EntryRef): void {
    this.pending.push(entry);
  }

  /** Acknowledges everything buffered; on failure the batch stays buffered (ahead of newer entries) and the error is rethrown. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.source.ack(batch);
    } catch (error) {
      this.pending = batch.concat(this.pending);
      throw error;
    }
  }
}

export interface ScheduledRetry extends EntryRef {
  /** Wall time (ms) from which the retry may run. */
  due: number;
  /** Deliveries so far; the retry is delivery `deliveries + 1`. */
  deliveries: number;
  delayMs: number;
}

/** Failed entries of this member, by entry, until their backoff has passed. */
export class RetrySchedule {
  private readonly retries = new Map<string, ScheduledRetry>();

  get size(): number {
    return this.retries.size;
  }

  /** Retries `delivery` once `delayMs` has passed (a later failure of the same entry replaces it). */
  schedule(delivery: Delivery, delayMs: number, now: number): void {
    this.retries.set(`${delivery.category}|${delivery.streamId}`, { ...delivery, due: now + delayMs, delayMs });
  }

  /** Earliest due time, Infinity when nothing waits. */
  nextDue(): number {
    let due = Infinity;
    for (const retry of this.retries.values()) due = Math.min(due, retry.due);
    return due;
  }

  /**
   * Removes and yields the retries due at `now`, one at a time, skipping all while `stopping()`.
   * Lazy over the live map: a retry scheduled while the caller handles one is seen in the same
   * pass if it is already due (a zero backoff), as a plain loop over the map would.
   */
  *takeDue(now: number, stopping: () => boolean): Generator<ScheduledRetry> {
    for (const [key, retry] of this.retries) {
      if (retry.due > now || stopping()) continue;
      this.retries.delete(key);
      yield retry;
    }
  }
}
