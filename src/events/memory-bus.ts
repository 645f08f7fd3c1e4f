/**
 * The in-process event bus (the default without REDIS_URL: one instance, nothing to run). It
 * models Redis Streams closely enough to pass the same contract suite: one stream per category
 * with `<ms>-<seq>` ids and retention, consumer groups with a cursor and a pending list per
 * group, takeover of entries idle longer than `claimIdleMs`, dead letters. Entries are stored as
 * JSON and parsed on delivery, as they are from Redis, so a handler can never mutate what another
 * group receives. Everything is lost with the process: that is what the Redis bus is for.
 */
import type { Registry } from 'prom-client';
import { AppError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import type { ConsumerSpec, DeadLetter, EventBus, StreamInfo, Subscription } from './bus.js';
import { createBusMetrics, type GroupLag } from './bus-metrics.js';
import {
  DEAD_LETTER_MAX_LEN,
  SeenIds,
  checkConsumerSpec,
  defaultConsumerName,
  resolveRetention,
  resolveTuning,
  type BusCommonOptions,
} from './bus-options.js';
import { startConsumer, type ConsumerSource, type Delivery, type EntryRef } from './consumer-loop.js';
import { appendEntry, createStream, firstSeq, streamLength, trimStream, type PendingEntry, type Stream, type StreamLimits } from './memory-stream.js';
import { EVENT_CATEGORIES, parseEvent, type EventCategory, type StoryloomEvent } from './schema.js';

export interface MemoryBusOptions extends BusCommonOptions {
  registry?: Registry;
  /**
   * Entries every group has already read are kept only up to this many per stream (default
   * {@link MEMORY_BUS_KEEP_CONSUMED}); unread ones stay up to the retention ceiling. Redis keeps
   * read entries for consumers that are down and for inspection; here every consumer lives and
   * dies with the process, so a read entry is only memory: ~1.5 KB of heap each (its JSON and
   * the parsed event), which made the heap grow with every edit ever made (issue 13 load test).
   */
  keepConsumed?: number;
}

/** Read entries kept per stream: one read batch of recent history for a `startAt: 'beginning'` group. */
export const MEMORY_BUS_KEEP_CONSUMED = 256;

/** Creates an in-process bus; `close()` stops its consumers. */
export function createMemoryBus(options: MemoryBusOptions = {}): EventBus {
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const tuning = resolveTuning(options);
  const retention = resolveRetention(options.retention);
  const keepConsumed = options.keepConsumed ?? MEMORY_BUS_KEEP_CONSUMED;
  if (!Number.isInteger(keepConsumed) || keepConsumed < 0) throw new Error(`keepConsumed must be an integer >= 0, got ${String(keepConsumed)}`);
  const prefix = options.prefix ?? 'storyloom:events';
  const streams = Object.fromEntries(EVENT_CATEGORIES.map((category) => [category, createStream()])) as unknown as Record<EventCategory, Stream>;
  const seenByGroup = new Map<string, SeenIds>();
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const length = streamLength;
  const limits = Object.fromEntries(EVENT_CATEGORIES.map((category) => [category, { ...retention[category], keepConsumed }])) as Record<EventCategory, StreamLimits>;
  const trim = (category: EventCategory, stream: Stream, now: number) => trimStream(stream, limits[category], now);

  const append = (category: EventCategory, data: string, event: StoryloomEvent) => {
    const stream = streams[category];
    const now = Date.now();
    appendEntry(stream, data, event, now);
    trim(category, stream, now);
    for (const wake of [...stream.waiters]) wake();
  };

  const readLag = async (): Promise<GroupLag[]> =>
    EVENT_CATEGORIES.flatMap((category) =>
      [...streams[category].groups].map(([group, state]) => ({
        group,
        category,
        lag: streams[category].nextSeq - Math.max(state.nextSeq, 0),
        pending: state.pending.size,
      })),
    );
  const metrics = createBusMetrics({ registry: options.registry, buffered: () => 0, readLag });

  const toDelivery = (category: EventCategory, pending: PendingEntry): Delivery => ({
    category,
    streamId: pending.entry.id,
    data: pending.entry.data,
    event: pending.entry.event,
    deliveries: pending.deliveries,
  });

  const createSource = (spec: ConsumerSpec, consumer: string, categories: EventCategory[]): ConsumerSource => {
    let wakeRead: (() => void) | undefined;
    const groupOf = (category: EventCategory) => streams[category].groups.get(spec.group)!;

    const take = (count: number): Delivery[] => {
      const out: Delivery[] = [];
      const now = Date.now();
      for (const category of categories) {
        const stream = streams[category];
        const group = groupOf(category);
        group.nextSeq = Math.max(group.nextSeq, firstSeq(stream)); // trimmed before it was read
        for (let n = 0; n < count && group.nextSeq < stream.nextSeq; n++) {
          const entry = stream.entries[stream.start + (group.nextSeq - firstSeq(stream))]!;
          group.nextSeq++;
          const pending = { entry, consumer, deliveries: 1, deliveredAt: now };
          group.pending.set(entry.id, pending);
          out.push(toDelivery(category, pending));
        }
        // What was just read may now be read by all: trimmed here too, or the last batch before
        // a quiet spell would stay until the next publish.
        trim(category, stream, now);
      }
      return out;
    };

    return {
      async prepare() {
        // Groups were created synchronously in subscribe(), so ordering with publish is trivial.
      },
      async read(count, blockMs) {
        const found = take(count);
        if (found.length > 0 || blockMs <= 0) return found;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            for (const category of categories) streams[category].waiters.delete(done);
            wakeRead = undefined;
            resolve();
          };
          const timer = setTimeout(done, blockMs);
          for (const category of categories) streams[category].waiters.add(done);
          wakeRead = done;
        });
        return take(count);
      },
      async claimIdle(minIdleMs, count) {
        const out: Delivery[] = [];
        const now = Date.now();
        for (const category of categories) {
          for (const pending of groupOf(category).pending.values()) {
            if (out.length >= count) break;
            if (now - pending.deliveredAt < minIdleMs) continue;
            Object.assign(pending, { consumer, deliveries: pending.deliveries + 1, deliveredAt: now });
            out.push(toDelivery(category, pending));
          }
        }
        return out;
      },
      async retry(entry, minIdleMs, deliveries) {
        const pending = groupOf(entry.category).pending.get(entry.streamId);
        if (!pending || Date.now() - pending.deliveredAt < minIdleMs) return null;
        Object.assign(pending, { consumer, deliveries, deliveredAt: Date.now() });
        return toDelivery(entry.category, pending);
      },
      async ack(entries: EntryRef[]) {
        for (const { category, streamId } of entries) groupOf(category).pending.delete(streamId);
      },
      async deadLetter(delivery, reason) {
        const stream = streams[delivery.category];
        stream.dead.push({
          data: delivery.data ?? '',
          category: delivery.category,
          streamId: delivery.streamId,
          group: spec.group,
          consumer,
          deliveries: delivery.deliveries,
          reason,
          at: new Date().toISOString(),
        });
        if (stream.dead.length > DEAD_LETTER_MAX_LEN) stream.dead.shift();
        groupOf(delivery.category).pending.delete(delivery.streamId);
      },
      interrupt() {
        wakeRead?.();
      },
      async release(clean) {
        // Like XGROUP DELCONSUMER, only for a member that leaves nothing pending behind.
        const owns = categories.some((category) => [...groupOf(category).pending.values()].some((p) => p.consumer === consumer));
        if (clean && !owns) for (const category of categories) groupOf(category).consumers.delete(consumer);
      },
    };
  };

  return {
    kind: 'memory',

    async publish(event: StoryloomEvent) {
      const parsed = parseEvent(event);
      if (closed) {
        metrics.rejected('closed');
        throw new AppError('service-unavailable', 'The event bus is closed');
      }
      append(parsed.category, JSON.stringify(parsed), parsed);
      metrics.published(parsed.category, 1);
    },

    subscribe(spec: ConsumerSpec): Subscription {
      if (closed) throw new AppError('service-unavailable', 'The event bus is closed');
      const categories = checkConsumerSpec(spec);
      const consumer = spec.consumer ?? defaultConsumerName();
      for (const category of categories) {
        const stream = streams[category];
        let group = stream.groups.get(spec.group);
        if (!group) {
          group = { nextSeq: spec.startAt === 'beginning' ? firstSeq(stream) : stream.nextSeq, pending: new Map(), consumers: new Set() };
          stream.groups.set(spec.group, group);
        }
        group.consumers.add(consumer);
      }
      let seen = seenByGroup.get(spec.group);
      if (!seen) seenByGroup.set(spec.group, (seen = new SeenIds(tuning.dedupeWindow)));
      const inner = startConsumer({ spec, source: createSource(spec, consumer, categories), tuning, logger, metrics, seen });
      const subscription: Subscription = {
        ready: inner.ready,
        async stop() {
          await inner.stop();
          subscriptions.delete(subscription);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async info(category: EventCategory): Promise<StreamInfo> {
      const stream = streams[category];
      const lags = await readLag();
      return {
        category,
        stream: `${prefix}:${category}`,
        length: length(stream),
        lastId: stream.lastId,
        retention: { ...retention[category] },
        groups: [...stream.groups].map(([name, group]) => ({
          name,
          consumers: group.consumers.size,
          pending: group.pending.size,
          lag: lags.find((row) => row.group === name && row.category === category)?.lag ?? null,
        })),
        deadLetters: stream.dead.length,
      };
    },

    async readDeadLetters(category: EventCategory, count = 100): Promise<DeadLetter[]> {
      return streams[category].dead.slice(-count).reverse();
    },

    async flush() {
      // publish() appends synchronously: everything published is already in its stream.
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
    },
  };
}
