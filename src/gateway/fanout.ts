import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { WriterAudience } from './audience.js';
import { GATEWAY_PATH_NAMES, type GatewayPath } from './protocol.js';

/**
 * A message for every subscriber of `channel` on `path` (all paths when omitted); with an
 * `audience`, only for the subscribers allowed to see that writer's numbers.
 */
export interface GatewayMessage {
  path?: GatewayPath;
  channel: string;
  data: unknown;
  audience?: WriterAudience;
}

/**
 * Carries gateway messages to the other instances. The local instance delivers its own
 * publishes directly, so the fan-out only ever hands in messages from elsewhere.
 */
export interface Fanout {
  /** Starts listening to a channel (its first local subscriber arrived). */
  watch(channel: string): void;
  /** Stops listening (its last local subscriber left). */
  unwatch(channel: string): void;
  /**
   * Resolves once messages published elsewhere on `channel` are guaranteed to arrive here (the
   * Redis SUBSCRIBE was acknowledged), or after a bounded wait while Redis is unreachable.
   */
  ready(channel: string): Promise<void>;
  /** Sends to the other instances; rejects when Redis refused the PUBLISH. */
  publish(message: GatewayMessage): Promise<void>;
  close(): Promise<void>;
}

/** Single instance: nothing to carry. */
export function createLocalFanout(): Fanout {
  return {
    watch() {},
    unwatch() {},
    ready: () => Promise.resolve(),
    publish: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const wireSchema = z.object({
  origin: z.string(),
  path: z.enum(GATEWAY_PATH_NAMES as [GatewayPath, ...GatewayPath[]]).nullable(),
  data: z.unknown(),
  // Carried so every instance filters its own subscribers: a remote message is no less private.
  audience: z.object({ projectId: z.string(), writerId: z.string().optional(), writerActor: z.string().optional() }).nullish(),
});

/** How long a subscribe reply waits for Redis before answering anyway (local delivery works). */
const READY_TIMEOUT_MS = 2_000;
const RETRY_MS = 1_000;

/**
 * Redis pub/sub, one Redis channel per gateway channel (`<prefix>:<channel>`), subscribed only
 * while a local socket listens: an instance receives just the traffic its clients asked for.
 * SUBSCRIBE and UNSUBSCRIBE go out in order on one connection, so a quick unsubscribe followed
 * by a subscribe of the same channel ends subscribed.
 */
export function createRedisFanout(deps: {
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Hands a remote message to local subscribers. */
  deliver(message: GatewayMessage): void;
}): Fanout {
  const { redis, prefix, logger } = deps;
  const origin = randomUUID();
  const subscriber = redis.duplicate();
  subscriber.on('error', (error) => logger.warn({ err: error }, 'gateway redis subscriber error'));
  const watching = new Map<string, Promise<void>>();
  const channelPrefix = `${prefix}:`;
  let closed = false;

  subscriber.on('message', (redisChannel: string, text: string) => {
    if (!redisChannel.startsWith(channelPrefix)) return;
    const channel = redisChannel.slice(channelPrefix.length);
    let wire: z.infer<typeof wireSchema>;
    try {
      wire = wireSchema.parse(JSON.parse(text));
    } catch (error) {
      logger.warn({ channel, err: errorMessage(error) }, 'ignored a malformed gateway message from redis');
      return;
    }
    if (wire.origin === origin) return;
    deps.deliver({ channel, data: wire.data, ...(wire.path ? { path: wire.path } : {}), ...(wire.audience ? { audience: stripUndefined(wire.audience) } : {}) });
  });

  // ioredis re-subscribes after a reconnect only to channels whose SUBSCRIBE succeeded, so a
  // SUBSCRIBE that failed (Redis away longer than the offline queue waits) is retried here for
  // as long as a local socket still listens.
  function subscribe(channel: string): void {
    const attempt: Promise<void> = subscriber.subscribe(`${channelPrefix}${channel}`).then(
      () => undefined,
      (error: unknown) => {
        logger.warn({ channel, err: errorMessage(error) }, 'gateway redis subscribe failed; retrying');
        setTimeout(() => {
          if (!closed && watching.get(channel) === attempt) subscribe(channel);
        }, RETRY_MS).unref();
      },
    );
    watching.set(channel, attempt);
  }

  return {
    watch(channel) {
      if (closed || watching.has(channel)) return;
      subscribe(channel);
    },
    unwatch(channel) {
      if (closed || !watching.delete(channel)) return;
      subscriber
        .unsubscribe(`${channelPrefix}${channel}`)
        .catch((error: unknown) => logger.warn({ channel, err: errorMessage(error) }, 'gateway redis unsubscribe failed'));
    },
    async ready(channel) {
      const subscribed = watching.get(channel);
      if (!subscribed) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, READY_TIMEOUT_MS)));
      await Promise.race([subscribed, timeout]);
      clearTimeout(timer);
    },
    async publish(message) {
      const text = JSON.stringify({ origin, path: message.path ?? null, data: message.data, audience: message.audience ?? null });
      await redis.publish(`${channelPrefix}${message.channel}`, text);
    },
    async close() {
      if (closed) return;
      closed = true;
      watching.clear();
      // QUIT can wait forever on a connection that is still reconnecting; disconnect() after
      // a bounded wait ends it either way (and is harmless after a completed QUIT).
      let timer: NodeJS.Timeout | undefined;
      const graceful = (async () => {
        if (subscriber.status === 'ready') await subscriber.unsubscribe();
        await subscriber.quit();
      })().catch(() => undefined);
      await Promise.race([graceful, new Promise<void>((resolve) => (timer = setTimeout(resolve, READY_TIMEOUT_MS)))]);
      clearTimeout(timer);
      subscriber.disconnect();
    },
  };
}

function stripUndefined(audience: { projectId: string; writerId?: string | undefined; writerActor?: string | undefined }): WriterAudience {
  return {
    projectId: audience.projectId,
    ...(audience.writerId === undefined ? {} : { writerId: audience.writerId }),
    ...(audience.writerActor === undefined ? {} : { writerActor: audience.writerActor }),
  };
}
