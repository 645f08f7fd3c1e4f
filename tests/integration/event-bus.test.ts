import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventBus } from '../../src/events/bus.js';
import { createMemoryBus } from '../../src/events/memory-bus.js';
import { createRedisStreamsBus } from '../../src/events/redis-streams-bus.js';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { isAppError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { CONTRACT_BUS_OPTIONS, eventBusContract } from '../contracts/event-bus.contract.js';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';

const logger = createLogger({ level: 'silent' });
const WAIT = { timeout: 10_000, interval: 25 };
const sale = (units: number) =>
  createEvent('publishing.sales_recorded', { actor: 'system', projectId: 'p1', payload: { platform: 'kobo', units, revenueCents: units * 299, currency: 'EUR' } });

/** Deletes every key under a prefix (SCAN, never KEYS, on the shared server). */
async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as { value: number; labels: Record<string, string | number> }[] | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value;
}

describe('MemoryBus', () => {
  eventBusContract('memory', async () => {
    const bus = createMemoryBus({ ...CONTRACT_BUS_OPTIONS, logger });
    expect(bus.kind).toBe('memory');
    return { bus, cleanup: () => bus.close() };
  });
});

describe.skipIf(!serviceAvailable('redis'))('RedisStreamsBus', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = uniqueName('test_events');
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(() => {
    redis = new Redis(redisUrl!, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
  });

  eventBusContract('redis', async () => {
    const prefix = newPrefix();
    const make = () => createRedisStreamsBus({ ...CONTRACT_BUS_OPTIONS, redis, logger, prefix });
    const bus = make();
    expect(bus.kind).toBe('redis');
    const others: EventBus[] = [];
    return {
      bus,
      reopen: async () => {
        const other = make();
        others.push(other);
        return other;
      },
      cleanup: async () => {
        await bus.close();
        for (const other of others) await other.close();
      },
    };
  });

  it('writes one stream per category under the prefix, trimmed approximately by default', async () => {
    const prefix = newPrefix();
    const bus = createRedisStreamsBus({ redis, logger, prefix, retention: { publishing: { maxLen: 50 } } });
    try {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => bus.publish(sale(i + 1))));
      const length = await redis.xlen(`${prefix}:publishing`);
      // MAXLEN ~ trims whole macro nodes (100 entries by default): bounded, never below maxLen.
      expect(length).toBeGreaterThanOrEqual(50);
      expect(length).toBeLessThanOrEqual(50 + 100);
      const [, fields] = (await redis.xrange(`${prefix}:publishing`, '-', '+', 'COUNT', 1))[0]!;
      expect(fields[0]).toBe('e');
      expect(JSON.parse(fields[1]!).type).toBe('publishing.sales_recorded');
      expect(await redis.exists(`${prefix}:writing`)).toBe(0);
    } finally {
      await bus.close();
    }
  });

  it('takes over entries a dead consumer left pending (XAUTOCLAIM), dead-letters those delivered too often', async () => {
    const prefix = newPrefix();
    const key = `${prefix}:publishing`;
    const group = uniqueName('g');
    const bus = createRedisStreamsBus({ ...CONTRACT_BUS_OPTIONS, redis, logger, prefix });
    try {
      await redis.xgroup('CREATE', key, group, '$', 'MKSTREAM');
      const orphan = sale(1);
      const poison = sale(2);
      await bus.publish(orphan);
      await bus.publish(poison);
      // A consumer that read both and died without acknowledging; the poison one was already
      // taken over (and lost) twice before, so its delivery count is 3.
      const read = (await redis.call('XREADGROUP', 'GROUP', group, 'ghost', 'COUNT', 10, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
      const [orphanId, poisonId] = read[0]![1].map(([id]) => id);
      for (let i = 0; i < 2; i++) await redis.call('XCLAIM', key, group, 'ghost', 0, poisonId!);

      const seen: StoryloomEvent[] = [];
      const subscription = bus.subscribe({ group, consumer: 'heir', categories: ['publishing'], maxDeliveries: 3, handle: async (e) => void seen.push(e) });
      await subscription.ready;
      await vi.waitFor(() => expect(seen.map((e) => e.id)).toEqual([orphan.id]), WAIT);
      await vi.waitFor(async () => expect((await bus.info('publishing')).deadLetters).toBe(1), WAIT);
      const [dead] = await bus.readDeadLetters!('publishing');
      expect(dead).toMatchObject({ streamId: poisonId, group, consumer: 'heir', deliveries: 4 });
      expect(dead!.reason).toMatch(/delivered 4 times/);
      await vi.waitFor(async () => expect(await redis.call('XPENDING', key, group)).toEqual([0, null, null, null]), WAIT);
      expect(orphanId).toBeDefined();
      await subscription.stop();
    } finally {
      await bus.close();
    }
  });

  it('exports published, consumed, buffered and consumer lag metrics', async () => {
    const prefix = newPrefix();
    const registry = new Registry();
    const bus = createRedisStreamsBus({ ...CONTRACT_BUS_OPTIONS, redis, logger, prefix, registry });
    try {
      const group = uniqueName('g');
      const seen: string[] = [];
      const subscription = bus.subscribe({ group, categories: ['publishing'], handle: async (e) => void seen.push(e.id) });
      await subscription.ready;
      for (let i = 0; i < 4; i++) await bus.publish(sale(i + 1));
      await vi.waitFor(() => expect(seen).toHaveLength(4), WAIT);
      await subscription.stop();
      await bus.publish(sale(9));
      expect(await metricValue(registry, 'storyloom_events_published_total', { category: 'publishing' })).toBe(5);
      expect(await metricValue(registry, 'storyloom_events_consumed_total', { category: 'publishing', group })).toBe(4);
      expect(await metricValue(registry, 'storyloom_events_buffered')).toBe(0);
      expect(await metricValue(registry, 'storyloom_events_consumer_lag', { category: 'publishing', group })).toBe(1);
      expect(await metricValue(registry, 'storyloom_events_consumer_pending', { category: 'publishing', group })).toBe(0);
    } finally {
      await bus.close();
    }
  });

  describe('when Redis goes away', () => {
    let own: OwnRedis;
    beforeAll(async () => {
      own = await startOwnRedis();
    });
    afterAll(async () => {
      await own?.stop();
    });

    it('buffers publishes up to the bound, rejects past it, and flushes them in order when Redis is back', async () => {
      // Reconnect quickly and give up on a command quickly: the bus, not ioredis, holds events.
      const client = new Redis(own.url, { maxRetriesPerRequest: 2, retryStrategy: () => 100 });
      client.on('error', () => {});
      const registry = new Registry();
      const bus = createRedisStreamsBus({ ...CONTRACT_BUS_OPTIONS, redis: client, logger, prefix: 'outage', registry, maxOfflineBuffer: 30 });
      try {
        const seen: string[] = [];
        const subscription = bus.subscribe({ group: 'archive', categories: ['publishing'], handle: async (e) => void seen.push(e.id) });
        await subscription.ready;
        const before = [sale(1), sale(2)];
        for (const event of before) await bus.publish(event);
        await vi.waitFor(() => expect(seen).toHaveLength(2), WAIT);

        await own.stop();
        const during = Array.from({ length: 30 }, (_, i) => sale(100 + i));
        for (const event of during) await bus.publish(event); // resolves: held in the buffer
        expect(await metricValue(registry, 'storyloom_events_buffered')).toBe(30);
        const rejected = await bus.publish(sale(999)).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isAppError(rejected) && rejected.code).toBe('service-unavailable');
        expect(await metricValue(registry, 'storyloom_events_publish_rejected_total', { reason: 'buffer-full' })).toBe(1);

        await own.start(); // empty: the stream and the group are gone too
        await bus.flush();
        expect(await metricValue(registry, 'storyloom_events_buffered')).toBe(0);
        await vi.waitFor(() => expect(seen).toHaveLength(32), WAIT);
        expect(seen).toEqual([...before, ...during].map((e) => e.id));
        await subscription.stop();
      } finally {
        await bus.close();
        await client.quit().catch(() => client.disconnect());
      }
    });

    it('treats a Redis that stops answering like a lost one: publish resolves, events arrive once when it answers again', async () => {
      const client = new Redis(own.url, { maxRetriesPerRequest: 2, retryStrategy: () => 100 });
      client.on('error', () => {});
      const admin = new Redis(own.url);
      const bus = createRedisStreamsBus({ ...CONTRACT_BUS_OPTIONS, redis: client, logger, prefix: 'paused', publishTimeoutMs: 300 });
      try {
        const seen: string[] = [];
        const subscription = bus.subscribe({ group: 'archive', categories: ['publishing'], handle: async (e) => void seen.push(e.id) });
        await subscription.ready;
        await bus.publish(sale(1));
        await vi.waitFor(() => expect(seen).toHaveLength(1), WAIT);

        // Like a partition: the connection stays open, nothing answers.
        const pauseMs = 2_500;
        const pausedAt = Date.now();
        await admin.call('CLIENT', 'PAUSE', pauseMs, 'ALL');
        const during = Array.from({ length: 10 }, (_, i) => sale(10 + i));
        await Promise.all(during.map((event) => bus.publish(event)));
        expect(Date.now() - pausedAt).toBeLessThan(pauseMs); // accepted into the buffer, not stuck

        await bus.flush();
        await vi.waitFor(() => expect(seen).toHaveLength(11), WAIT);
        expect(seen.slice(1)).toEqual(during.map((e) => e.id));
        await subscription.stop();
      } finally {
        await bus.close();
        await admin.quit();
        await client.quit().catch(() => client.disconnect());
      }
    });
  });
});
