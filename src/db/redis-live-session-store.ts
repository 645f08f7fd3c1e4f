import type { Redis } from 'ioredis';
import { LIVE_STATE_TTL_MS } from '../services/writing/live-store.js';
import type { LiveSessionStore } from '../services/writing/ports.js';

/**
 * The writing service's LiveSessionStore port (services/writing/ports.ts) over Redis: an adapter,
 * so it lives here and server.ts wires it. Shared by every instance. Each key is a Redis hash
 * (`value`, `updatedAt`) and each group a hash of members; every write refreshes a 24 h TTL, so
 * state of a writer nobody touches any more disappears by itself (a crashed instance leaves
 * nothing behind for longer than that).
 */
export function createRedisLiveSessionStore(
  redis: Redis,
  options: { prefix?: string; ttlMs?: number } = {},
): LiveSessionStore {
  const prefix = options.prefix ?? 'storyloom:writing:live';
  const ttlSeconds = Math.max(1, Math.round((options.ttlMs ?? LIVE_STATE_TTL_MS) / 1000));
  const keyOf = (key: string) => `${prefix}:k:${key}`;
  const groupOf = (group: string) => `${prefix}:g:${group}`;

  return {
    async get(key) {
      return redis.hget(keyOf(key), 'value');
    },
    async set(key, value) {
      const k = keyOf(key);
      await redis.multi().hset(k, 'value', value, 'updatedAt', String(Date.now())).expire(k, ttlSeconds).exec();
    },
    async delete(key) {
      await redis.del(keyOf(key));
    },
    async claim(key) {
      // A plain string key: SET NX EX is the one atomic "first writer wins" Redis offers.
      const result = await redis.set(`${keyOf(key)}:claim`, '1', 'EX', ttlSeconds, 'NX');
      return result === 'OK';
    },
    async addMember(group, member, value) {
      const g = groupOf(group);
      await redis.multi().hset(g, member, value).expire(g, ttlSeconds).exec();
    },
    async removeMember(group, member) {
      await redis.hdel(groupOf(group), member);
    },
    async members(group) {
      return new Map(Object.entries(await redis.hgetall(groupOf(group))));
    },
  };
}
