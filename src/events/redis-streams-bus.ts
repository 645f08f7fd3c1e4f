/**
 * The Redis Streams event bus (when REDIS_URL is set): one stream per category,
 * `<prefix>:<category>`, written with XADD and trimmed on the way in (MAXLEN ~ / MINID ~, see
 * DEFAULT_RETENTION); dead letters in `<prefix>:dead:<category>`.
 *
 * - publishing, batching and the bounded offline buffer: redis-publisher.ts
 * - consumer groups (XREADGROUP, XACK after success, XAUTOCLAIM, dead letters): consumer-loop.ts
 *   on top of redis-consumer-source.ts, one blocking connection per subscription
 *
 * A new group starts at '$' (the end of the stream) unless `startAt: 'beginning'`; publishes made
 * through this bus after subscribe() returned are held until the group exists, so they reach it.
 * Events still buffered when the process exits are lost (close() waits drainTimeoutMs for Redis).
 */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSpec, DeadLetter, EventBus, StreamInfo, Subscription } from './bus.js';
import { createBusMetrics, type GroupLag } from './bus-metrics.js';
import { DEAD_LETTER_MAX_LEN, SeenIds, checkConsumerSpec, defaultConsumerName, resolveRetention, resolveTuning, type BusCommonOptions } from './bus-options.js';
import { startConsumer } from './consumer-loop.js';
import { createRedisPublisher } from './redis-publisher.js';
import { createRedisConsumerSource } from './redis-consumer-source.js';
import { EVENT_CATEGORIES, parseEvent, type EventCategory, type StoryloomEvent } from './schema.js';

export interface RedisStreamsBusOptions extends BusCommonOptions {
  /** The shared client; the bus duplicates it for publishing and for each subscription, and never closes it. */
  redis: Redis;
  logger: Logger;
  registry?: Registry;
  /** Events held while Redis is unreachable (everything not yet in a stream counts). Default 100,000. */
  maxOfflineBuffer?: number;
  /** Bytes of event JSON held likewise. Default 64 MiB. */
  maxOfflineBufferBytes?: number;
  /** Events per publish batch (one pipeline). Default 2,000. */
  maxBatch?: number;
  /** A publish batch unanswered this long means Redis is unreachable (partition): buffer and reconnect. Default 5 s. */
  publishTimeoutMs?: number;
}

/** How long a publish batch waits for a group being created (so '$' is placed before the batch). */
const GROUP_WAIT_MS = 2_000;

/** Pairs of a Redis `[k1, v1, k2, v2]` reply as an object. */
function pairs(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** Creates the bus; `close()` stops its consumers, flushes, and closes the connections it opened. */
export function createRedisStreamsBus(options: RedisStreamsBusOptions): EventBus {
  const { redis, logger } = options;
  const tuning = resolveTuning(options);
  const retention = resolveRetention(options.retention);
  const prefix = options.prefix ?? 'storyloom:events';
  const keyOf = (category: EventCategory) => `${prefix}:${category}`;
  const deadKeyOf = (category: EventCategory) => `${prefix}:dead:${category}`;

  let closed = false;
  const groupCreations = new Set<Promise<void>>();
  const subscriptions = new Set<Subscription>();

  const readLag = async (): Promise<GroupLag[]> => {
    const pipeline = redis.pipeline();
    for (const category of EVENT_CATEGORIES) pipeline.call('XINFO', 'GROUPS', keyOf(category));
    const results = (await pipeline.exec()) ?? [];
    return EVENT_CATEGORIES.flatMap((category, i) => {
      const [error, groups] = results[i] ?? [];
      if (error || !Array.isArray(groups)) return [];
      return groups.map((raw) => {
        const g = pairs(raw);
        return { group: String(g.name), category, lag: g.lag == null ? null : Number(g.lag), pending: Number(g.pending ?? 0) };
      });
    });
  };
  const metrics = createBusMetrics({ registry: options.registry, buffered: () => publisher.buffered(), readLag });
  const publisher = createRedisPublisher({
    redis,
    logger,
    metrics,
    retention,
    trimOp: options.exactTrim ? '=' : '~',
    keyOf,
    maxBuffer: options.maxOfflineBuffer ?? 100_000,
    maxBufferBytes: options.maxOfflineBufferBytes ?? 64 * 1024 * 1024,
    maxBatch: options.maxBatch ?? 2_000,
    publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
    async beforeBatch() {
      // Groups being created get their '$' before this batch; a Redis that takes longer than
      // GROUP_WAIT_MS to create them must not stall publishing.
      if (groupCreations.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(groupCreations), new Promise((resolve) => (timer = setTimeout(resolve, GROUP_WAIT_MS)))]);
      clearTimeout(timer);
    },
  });
  const flush = () => publisher.flush();

  return {
    kind: 'redis',

    // Not async: at 100,000 events/s one promise per event is all the garbage we can afford.
    publish(event: StoryloomEvent) {
      let parsed: StoryloomEvent;
      try {
        parsed = parseEvent(event);
      } catch (error) {
        return Promise.reject(error);
      }
      if (closed) {
        metrics.rejected('closed');
        return Promise.reject(new AppError('service-unavailable', 'The event bus is closed'));
      }
      return publisher.publish(parsed.category, JSON.stringify(parsed));
    },

    subscribe(spec: ConsumerSpec): Subscription {
      if (closed) throw new AppError('service-unavailable', 'The event bus is closed');
      const categories = checkConsumerSpec(spec);
      const consumer = spec.consumer ?? defaultConsumerName();
      const blocking = redis.duplicate({ lazyConnect: false });
      blocking.on('error', (error) => logger.debug({ err: error, group: spec.group }, 'consumer connection error'));
      const streams = categories.map((category) => ({ category, key: keyOf(category), deadKey: deadKeyOf(category) }));
      const source = createRedisConsumerSource({
        redis,
        blocking,
        group: spec.group,
        consumer,
        streams,
        startAt: spec.startAt ?? 'end',
        deadMaxLen: DEAD_LETTER_MAX_LEN,
        logger,
      });
      const inner = startConsumer({ spec, source, tuning, logger, metrics, seen: new SeenIds(tuning.dedupeWindow) });
      // Publishes issued after subscribe() returned wait for the group, so '$' lands before them.
      const ready = inner.ready!;
      groupCreations.add(ready);
      void ready.then(() => groupCreations.delete(ready));
      const subscription: Subscription = {
        ready,
        async stop() {
          await inner.stop();
          subscriptions.delete(subscription);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async info(category: EventCategory): Promise<StreamInfo> {
      const key = keyOf(category);
      const results =
        (await redis.pipeline().xlen(key).call('XINFO', 'STREAM', key).call('XINFO', 'GROUPS', key).xlen(deadKeyOf(category)).exec()) ?? [];
      const [length, stream, groups, dead] = results.map(([error, value]) => (error ? null : value));
      const lastId = String(pairs(stream)['last-generated-id'] ?? '0-0');
      return {
        category,
        stream: key,
        length: Number(length ?? 0),
        lastId: lastId === '0-0' ? null : lastId,
        retention: { ...retention[category] },
        groups: (Array.isArray(groups) ? groups : []).map((raw) => {
          const g = pairs(raw);
          return { name: String(g.name), consumers: Number(g.consumers), pending: Number(g.pending), lag: g.lag == null ? null : Number(g.lag) };
        }),
        deadLetters: Number(dead ?? 0),
      };
    },

    async readDeadLetters(category: EventCategory, count = 100): Promise<DeadLetter[]> {
      const entries = (await redis.xrevrange(deadKeyOf(category), '+', '-', 'COUNT', count)) as [string, string[]][];
      return entries.map(([, fields]) => {
        const f = pairs(fields);
        return {
          data: String(f.e ?? ''),
          category,
          streamId: String(f.id ?? ''),
          group: String(f.group ?? ''),
          consumer: String(f.consumer ?? ''),
          deliveries: Number(f.deliveries ?? 0),
          reason: String(f.reason ?? ''),
          at: String(f.at ?? ''),
        };
      });
    },

    flush,

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      let timer: NodeJS.Timeout | undefined;
      const flushed = await Promise.race([
        flush().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), tuning.drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (!flushed) logger.error({ lost: publisher.buffered() }, 'closing the event bus with events Redis never received; they are lost');
      await publisher.close();
    },
  };
}
