import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { LiveSessionStore } from '../../src/services/writing/ports.js';
import { LIVE_STATE_TTL_MS, createMemoryLiveSessionStore } from '../../src/services/writing/live-store.js';
import { createRedisLiveSessionStore } from '../../src/db/redis-live-session-store.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';

/** One contract for every LiveSessionStore (memory and Redis). */
const implementations: { name: string; make(): LiveSessionStore }[] = [{ name: 'memory', make: () => createMemoryLiveSessionStore() }];
const clients: Redis[] = [];
if (serviceAvailable('redis')) {
  implementations.push({
    name: 'Redis',
    make: () => {
      const redis = new Redis(redisUrl!);
      clients.push(redis);
      return createRedisLiveSessionStore(redis, { prefix: uniqueName('live') });
    },
  });
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

describe.each(implementations)('LiveSessionStore contract: $name', ({ make }) => {
  it('sets, gets, replaces and deletes values', async () => {
    const store = make();
    expect(await store.get('session:a')).toBeNull();
    await store.set('session:a', '{"v":1}');
    expect(await store.get('session:a')).toBe('{"v":1}');
    await store.set('session:a', '{"v":2}');
    expect(await store.get('session:a')).toBe('{"v":2}');
    await store.delete('session:a');
    expect(await store.get('session:a')).toBeNull();
    await store.delete('session:never');
  });

  it('claims a key once', async () => {
    const store = make();
    expect(await store.claim('goal:p:u:2024-01-01:met')).toBe(true);
    expect(await store.claim('goal:p:u:2024-01-01:met')).toBe(false);
    expect(await store.claim('goal:p:u:2024-01-02:met')).toBe(true);
  });

  it('keeps groups of members', async () => {
    const store = make();
    expect(await store.members('project:p')).toEqual(new Map());
    await store.addMember('project:p', 's1', 'alice');
    await store.addMember('project:p', 's2', 'bob');
    await store.addMember('project:p', 's1', 'alice-again');
    expect(await store.members('project:p')).toEqual(new Map([['s1', 'alice-again'], ['s2', 'bob']]));
    await store.removeMember('project:p', 's1');
    await store.removeMember('project:p', 'unknown');
    await store.removeMember('project:none', 's1');
    expect([...(await store.members('project:p')).keys()]).toEqual(['s2']);
  });
});

describe('live state expiry', () => {
  it('memory: entries and groups expire 24 h after their last write', async () => {
    let now = 1_000;
    const store = createMemoryLiveSessionStore({ now: () => now });
    await store.set('k', 'v');
    await store.addMember('g', 'm', 'v');
    await store.claim('c');
    now += LIVE_STATE_TTL_MS - 1;
    expect(await store.get('k')).toBe('v');
    await store.addMember('g', 'm2', 'v'); // refreshes the group
    now += 1;
    expect(await store.get('k')).toBeNull();
    expect(await store.claim('c')).toBe(true);
    expect([...(await store.members('g')).keys()]).toEqual(['m', 'm2']);
  });

  it.runIf(redisUrl)('Redis: every key and group carries a 24 h TTL', async () => {
    const redis = new Redis(redisUrl!);
    try {
      const prefix = uniqueName('ttl');
      const store = createRedisLiveSessionStore(redis, { prefix });
      await store.set('k', 'v');
      await store.addMember('g', 'm', 'v');
      await store.claim('c');
      for (const key of [`${prefix}:k:k`, `${prefix}:g:g`, `${prefix}:k:c:claim`]) {
        const ttl = await redis.ttl(key);
        expect(ttl, key).toBeGreaterThan(24 * 3600 - 60);
        expect(ttl, key).toBeLessThanOrEqual(24 * 3600);
      }
      expect(await redis.hget(`${prefix}:k:k`, 'value')).toBe('v');
      await redis.del(`${prefix}:k:k`, `${prefix}:g:g`, `${prefix}:k:c:claim`);
    } finally {
      await redis.quit();
    }
  });
});
