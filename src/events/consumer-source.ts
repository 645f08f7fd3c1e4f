/**
 * What a bus gives the consumer loop: the storage operations of one group member. A file of
 * its own so the loop's parts (delivery, ack buffer, retry schedule) and the two sources can
 * share these types without importing each other in a circle.
 */
import type { EventCategory, StoryloomEvent } from './schema.js';

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
