/**
 * The Redis Streams side of one group member: XREADGROUP on its own blocking connection, XACK,
 * XAUTOCLAIM for entries a dead member left pending, XCLAIM for its own retries, and the
 * dead-letter move (XADD to `<prefix>:dead:<category>` + XACK in one MULTI).
 */
import type { Redis } from 'ioredis';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ConsumerSource, Delivery, EntryRef } from './consumer-source.js';
import type { EventCategory } from './schema.js';

export interface StreamKeys {
  category: EventCategory;
  key: string;
  deadKey: string;
}

export interface RedisConsumerSourceDeps {
  /** Non-blocking commands (shared with the bus). */
  redis: Redis;
  /** This member's own connection: XREADGROUP BLOCK holds it. */
  blocking: Redis;
  group: string;
  consumer: string;
  streams: StreamKeys[];
  startAt: 'end' | 'beginning';
  deadMaxLen: number;
  logger: Logger;
}

type RawEntry = [id: string, fields: string[] | null] | null;

/** `[f1, v1, f2, v2]` -> the value of `name`. */
function field(fields: string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

const isNoGroup = (error: unknown) => /NOGROUP/.test(errorMessage(error));

export function createRedisConsumerSource(deps: RedisConsumerSourceDeps): ConsumerSource {
  const { redis, blocking, group, consumer, streams } = deps;
  const byKey = new Map(streams.map((s) => [s.key, s]));
  const byCategory = new Map(streams.map((s) => [s.category, s]));
  const keyOf = (category: EventCategory) => byCategory.get(category)!.key;
  let blockingId: number | null = null;

  // CLIENT UNBLOCK needs the blocking connection's id, which changes when it reconnects.
  const learnId = () => {
    blocking.client('ID').then(
      (id) => (blockingId = Number(id)),
      () => (blockingId = null),
    );
  };
  blocking.on('ready', learnId);
  if (blocking.status === 'ready') learnId();

  const createGroups = async (from: '$' | '0') => {
    await Promise.all(
      streams.map(({ key }) =>
        redis.xgroup('CREATE', key, group, from, 'MKSTREAM').catch((error: unknown) => {
          if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
        }),
      ),
    );
  };

  // The group vanished (Redis restarted without persistence, or someone destroyed it): recreate
  // it at the start of what the stream holds now, so events flushed from a publisher's offline
  // buffer into the fresh stream are not skipped. Handlers see a replay at worst; they are idempotent.
  const recoverGroup = async (error: unknown): Promise<Delivery[]> => {
    if (!isNoGroup(error)) throw error;
    deps.logger.warn({ group }, 'consumer group missing; recreating it from the start of the stream');
    await createGroups('0');
    return [];
  };

  const toDelivery = (category: EventCategory, entry: RawEntry, deliveries: number): Delivery | null => {
    if (!entry) return null; // deleted by retention while pending
    return { category, streamId: entry[0], data: field(entry[1], 'e'), deliveries };
  };

  return {
    prepare: () => createGroups(deps.startAt === 'beginning' ? '0' : '$'),

    async read(count, blockMs) {
      const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count];
      // BLOCK 0 would wait forever: a zero wait is a plain non-blocking read.
      if (blockMs > 0) args.push('BLOCK', Math.max(1, Math.round(blockMs)));
      args.push('STREAMS', ...streams.map((s) => s.key), ...streams.map(() => '>'));
      let reply: [string, RawEntry[]][] | null;
      try {
        reply = (await blocking.call('XREADGROUP', ...args)) as [string, RawEntry[]][] | null;
      } catch (error) {
        return recoverGroup(error);
      }
      const out: Delivery[] = [];
      for (const [key, entries] of reply ?? []) {
        const category = byKey.get(key)!.category;
        for (const entry of entries) {
          const delivery = toDelivery(category, entry, 1);
          if (delivery) out.push(delivery);
        }
      }
      return out;
    },

    async claimIdle(minIdleMs, count) {
      const out: Delivery[] = [];
      for (const { key, category } of streams) {
        let claimed: RawEntry[];
        try {
          const reply = (await redis.call('XAUTOCLAIM', key, group, consumer, minIdleMs, '0-0', 'COUNT', count)) as [string, RawEntry[]];
          claimed = reply[1].filter((entry) => entry !== null);
        } catch (error) {
          await recoverGroup(error);
          continue;
        }
        if (claimed.length === 0) continue;
        // XAUTOCLAIM does not report delivery counts; XPENDING does (already incremented by the claim).
        const pipeline = redis.pipeline();
        for (const entry of claimed) pipeline.call('XPENDING', key, group, entry![0], entry![0], 1);
        const counts = (await pipeline.exec()) ?? [];
        claimed.forEach((entry, i) => {
          const row = (counts[i]?.[1] as [string, string, number, number][] | undefined)?.[0];
          const delivery = toDelivery(category, entry, row ? Number(row[3]) : 2);
          if (delivery) out.push(delivery);
        });
      }
      return out;
    },

    async retry(entry, minIdleMs, deliveries) {
      // min-idle makes XCLAIM a no-op when another member took the entry over meanwhile.
      const reply = (await redis.call('XCLAIM', keyOf(entry.category), group, consumer, minIdleMs, entry.streamId)) as RawEntry[];
      return toDelivery(entry.category, reply[0] ?? null, deliveries);
    },

    async ack(entries: EntryRef[]) {
      const ids = new Map<string, string[]>();
      for (const { category, streamId } of entries) {
        const key = keyOf(category);
        ids.set(key, [...(ids.get(key) ?? []), streamId]);
      }
      const pipeline = redis.pipeline();
      for (const [key, list] of ids) pipeline.xack(key, group, ...list);
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },

    async deadLetter(delivery: Delivery, reason: string) {
      const { key, deadKey } = byCategory.get(delivery.category)!;
      const results = await redis
        .multi()
        .call(
          'XADD', deadKey, 'MAXLEN', '~', deps.deadMaxLen, '*',
          'e', delivery.data ?? '', 'stream', key, 'id', delivery.streamId, 'group', group, 'consumer', consumer,
          'deliveries', delivery.deliveries, 'reason', reason.slice(0, 2000), 'at', new Date().toISOString(),
        )
        .xack(key, group, delivery.streamId)
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
    },

    interrupt() {
      // Makes a blocked XREADGROUP return an empty reply now instead of after blockMs.
      if (blockingId !== null) redis.client('UNBLOCK', blockingId).catch(() => undefined);
    },

    async release(clean) {
      blocking.off('ready', learnId);
      if (clean) {
        // DELCONSUMER drops the member's pending entries, so only a member with none is forgotten;
        // otherwise it stays listed until another member claims its entries.
        try {
          for (const { key } of streams) {
            const mine = (await redis.call('XPENDING', key, group, '-', '+', 1, consumer)) as unknown[];
            if (mine.length === 0) await redis.call('XGROUP', 'DELCONSUMER', key, group, consumer);
          }
        } catch (error) {
          deps.logger.debug({ err: error }, 'could not remove consumer from its group');
        }
      }
      if (blocking.status === 'ready') await blocking.quit().catch(() => blocking.disconnect());
      else blocking.disconnect();
    },
  };
}
