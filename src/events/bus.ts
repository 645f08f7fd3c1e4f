import type { EventCategory, EventType, StoryloomEvent } from './schema.js';

/**
 * The event bus contract. Two implementations (memory-bus.ts, redis-streams-bus.ts) pass the same
 * contract suite (tests/contracts/event-bus.contract.ts).
 *
 * Delivery is at least once: a handler that throws gets the event again (up to `maxDeliveries`,
 * then it goes to the dead-letter stream). Consumers are idempotent: the bus dedupes on event id
 * per consumer group where it can, and handlers must tolerate a repeat anyway.
 */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  /**
   * Validates and publishes. Resolves once the bus accepted the event (for Redis: added to the
   * stream, or held in the bounded offline buffer while Redis is unreachable). Rejects with
   * AppError('validation-failed') for an invalid event and AppError('message-too-large') for a
   * payload over 64 KiB, and never publishes either; rejects with AppError('service-unavailable')
   * when the bus is closed or the offline buffer is full (the event is not kept).
   */
  publish(event: StoryloomEvent): Promise<void>;
  /**
   * Starts a consumer in a group; each event of the selected categories reaches one member of the
   * group. Throws AppError('validation-failed') for an unknown category or type or a bad name.
   */
  subscribe(consumer: ConsumerSpec): Subscription;
  /** Length, groups (pending, lag), last id and retention of one category's stream. */
  info(category: EventCategory): Promise<StreamInfo>;
  /** The newest dead letters of a category, newest first (default 100). */
  readDeadLetters?(category: EventCategory, count?: number): Promise<DeadLetter[]>;
  /** Resolves when everything published so far is in the stream (not necessarily consumed). */
  flush(): Promise<void>;
  /** Stops consumers (letting in-flight handlers finish), flushes, releases connections. */
  close(): Promise<void>;
}

export interface ConsumerSpec {
  /**
   * Consumer group: every group sees every event once; members of a group share the work.
   * Dedupe on event id covers the group on the memory bus and each member on Redis (a window of
   * recent ids in memory: see `dedupeWindow`).
   */
  group: string;
  /** Member name within the group; default: unique per process. */
  consumer?: string;
  categories: readonly EventCategory[];
  /** Optional narrower filter; events of other types are acked without calling a handler. */
  types?: readonly EventType[];
  /** Throw to get the event again later; return to ack it. */
  handle(event: StoryloomEvent): Promise<void>;
  /**
   * Optional handler for many events at once, for consumers where one call per event is the cost
   * (one multi-row INSERT instead of one per event). When present, the loop calls it once per read
   * (and per takeover of a dead member's entries) with every event of it that would reach `handle`
   * (after parsing, type filtering, dedupe and the `maxDeliveries` check, exactly as for `handle`),
   * in stream order per category; returning acks them all. If it throws, the loop hands each event
   * of that batch to `handle` instead, so retry, backoff and dead-lettering stay per event and one
   * poison event cannot hold back its neighbours. `handle` may then see events the failed call had
   * already applied in part: both must be idempotent, as delivery is at least once anyway. Retries
   * of an event whose `handle` threw go through `handle` again.
   */
  handleBatch?(events: StoryloomEvent[]): Promise<void>;
  /** Deliveries before an event goes to the dead-letter stream; default 5. */
  maxDeliveries?: number;
  /**
   * Where a group that does not exist yet starts: 'end' (default) delivers what is published after
   * the group is created, so a new group never replays the retained history; 'beginning' replays
   * what the stream still holds. An existing group always resumes where it left off.
   */
  startAt?: 'end' | 'beginning';
}

export interface Subscription {
  /**
   * Stops reading; in-flight handlers finish first (up to the bus's drain timeout, after which the
   * handler is abandoned unacknowledged and another member of the group takes the event over).
   */
  stop(): Promise<void>;
  /**
   * Resolves once the group exists on every stream: from then on, every event published anywhere
   * reaches the group. Publishes through the same bus instance after `subscribe()` returned are
   * covered without waiting (the bus orders them after the group's creation). Never rejects.
   */
  ready?: Promise<void>;
}

/** An event that exhausted its deliveries (or could not be parsed), kept for an operator. */
export interface DeadLetter {
  /** The event's JSON as it was in the stream. */
  data: string;
  category: EventCategory;
  /** Id of the entry in the category's stream. */
  streamId: string;
  group: string;
  consumer: string;
  deliveries: number;
  reason: string;
  /** ISO-8601 time it was dead-lettered. */
  at: string;
}

export interface StreamInfo {
  category: EventCategory;
  stream: string;
  length: number;
  lastId: string | null;
  retention: { maxLen: number | null; maxAgeMs: number | null };
  groups: { name: string; consumers: number; pending: number; lag: number | null }[];
  deadLetters: number;
}
