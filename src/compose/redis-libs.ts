/**
 * The Redis client, the Hocuspocus Redis extension and the Redis Streams bus, loaded only when
 * REDIS_URL is set: a single instance (the `npm start` default) never uses them, and together
 * they cost ~40 MB of RSS and ~0.3 s of start (measured one by one in a bare Node process;
 * BENCHMARKS.md, startup). Import them only through this loader.
 */
import { lazyModule } from '../lib/lazy.js';

export const loadRedisLibs = lazyModule(async () => {
  const [{ Redis }, { Redis: RedisExtension }, { createRedisStreamsBus }] = await Promise.all([
    import('ioredis'),
    import('@hocuspocus/extension-redis'),
    import('../events/redis-streams-bus.js'),
  ]);
  return { Redis, RedisExtension, createRedisStreamsBus };
});
