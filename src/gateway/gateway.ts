import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Identity } from '../lib/identity.js';
import { tokenFromRequest } from '../auth/request-token.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { AppError, ERROR_CODES, isAppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createConcurrencyLimit, createRateBucket, type RateSpec } from '../lib/rate-limit.js';
import { createAudienceFilter } from './audience.js';
import { createConnection, frameOf, type Frame, type GatewayConnection } from './connection.js';
import { createLocalFanout, createRedisFanout, type GatewayMessage } from './fanout.js';
import { createGatewayCounters, type GatewayStats } from './metrics.js';
import { GATEWAY_PATH_NAMES, GATEWAY_PATHS, parseChannel, type GatewayPath } from './protocol.js';
import { createOriginPolicy, credentialSource, type OriginPolicy } from './origin.js';
import { createSession } from './session.js';
import { headerValue, rawText, refuseUpgrade as refuse } from './upgrade-http.js';
import { createSubscriptionIndex } from './subscriptions.js';

export { GATEWAY_PATHS, type GatewayPath } from './protocol.js';
export type { GatewayStats } from './metrics.js';
export type { GatewayMessage } from './fanout.js';

export interface GatewayDeps {
  verifier: TokenVerifier;
  logger: Logger;
  /** Shared Redis for cross-instance fan-out; the gateway duplicate()s it for its subscriber. */
  redis?: Redis;
  /** Heartbeat period; a socket silent for a whole period is terminated. Default 30 s. */
  heartbeatMs?: number;
  /** Per-socket send budget before frames queue and the oldest get dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Frames a congested socket may have queued. Default 1,000. */
  maxQueuedFrames?: number;
  /** Inbound frame limit (`ws` closes larger frames with 1009). Default 64 KiB. */
  maxMessageBytes?: number;
  /** A published event's serialized size limit. Default 256 KiB. */
  maxEventBytes?: number;
  /** Subscriptions one socket may hold. Default 256. */
  maxSubscriptionsPerSocket?: number;
  registry?: Registry;
  /** Redis pub/sub channel prefix. Default 'storyloom:gateway'. */
  channelPrefix?: string;
  clock?: Clock;
  /**
   * Origins allowed to use the session cookie (cross-site WebSocket hijacking). Without a
   * policy a cookie upgrade must be same-origin with its Host header.
   */
  originPolicy?: OriginPolicy;
  /** User id -> event actor pseudonym, to filter bus events that carry a writer's numbers. */
  actorOf?: (userId: string) => string;
  /** Open gateway sockets per user (all three paths); 0 = no limit. Default 100. */
  maxConnectionsPerUser?: number;
  /** Client messages per socket; a socket past its bucket is closed with 4429. Default 20/s, burst 100. */
  messageRate?: RateSpec;
  /** Clock of the rate limits (real time even when `clock` is a manual one). */
  rateClock?: Clock;
}

/** The /ws/analytics, /ws/notifications and /ws/presence channel server of one instance. */
export interface Gateway {
  /**
   * Authenticates (Bearer header, `storyloom_session` cookie or `?token=`) BEFORE completing the
   * upgrade: a missing, invalid or expired token gets an HTTP 401 response, a cookie credential
   * from a foreign Origin 403, a user past its connection limit 429, an unknown path 404 and a
   * closing gateway 503. Never throws.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Delivers `data` as `{type: 'event', channel, data}` to the channel's subscribers on `path`
   * (all three paths when omitted), here and, with Redis, on every other instance. Rejects with
   * AppError 'validation-failed' (bad channel), 'message-too-large', or 'service-unavailable'
   * when Redis refused the PUBLISH (local subscribers have been served by then).
   */
  publish(message: GatewayMessage): Promise<void>;
  stats(): GatewayStats;
  /** Closes every socket with this code and reason (e.g. an admin action). */
  closeAll(code: number, reason: string): void;
  /**
   * Closes one user's sockets (access revoked: their token's roles no longer hold); returns how
   * many. Mirrors the collaboration registry's disconnectUser.
   */
  disconnectUser(userId: string, code: number, reason: string): number;
  /** Refuses new upgrades, stops the heartbeat, closes sockets with 1012, releases Redis. Idempotent. */
  close(): Promise<void>;
}

const SHUTDOWN = { code: 1012, reason: 'server-restarting' } as const;
/** How long close() lets clients answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

/** Builds the gateway; attach `handleUpgrade` to the server's `upgrade` route for GATEWAY_PATHS. */
export function createGateway(deps: GatewayDeps): Gateway {
  const { verifier, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const heartbeatMs = deps.heartbeatMs ?? 30_000;
  const maxBufferedBytes = deps.maxBufferedBytes ?? 1024 * 1024;
  const maxQueuedFrames = deps.maxQueuedFrames ?? 1_000;
  const maxEventBytes = deps.maxEventBytes ?? 256 * 1024;
  const maxSubscriptions = deps.maxSubscriptionsPerSocket ?? 256;
  const rateClock = deps.rateClock ?? systemClock;
  const messageRate = deps.messageRate ?? { ratePerSecond: 20, burst: 100 };
  const maxPerUser = deps.maxConnectionsPerUser ?? 100;
  const perUser = createConcurrencyLimit(maxPerUser > 0 ? maxPerUser : Number.POSITIVE_INFINITY);
  const originPolicy = deps.originPolicy ?? createOriginPolicy({});
  const audienceAllows = createAudienceFilter(deps.actorOf);

  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes ?? 64 * 1024, perMessageDeflate: false });
  const connections = new Set<GatewayConnection>();
  const fanout = deps.redis
    ? createRedisFanout({ redis: deps.redis, prefix: deps.channelPrefix ?? 'storyloom:gateway', logger, deliver: deliverLocal })
    : createLocalFanout();
  const index = createSubscriptionIndex<GatewayConnection>({
    onChannelActive: (channel) => fanout.watch(channel),
    onChannelIdle: (channel) => fanout.unwatch(channel),
  });
  const counters = createGatewayCounters(deps.registry, stats, () => index.subscriptionsByKind());
  let closing: Promise<void> | undefined;

  function stats(): GatewayStats {
    const perPath: Record<GatewayPath, number> = { analytics: 0, notifications: 0, presence: 0 };
    let bufferedBytes = 0;
    for (const connection of connections) {
      perPath[connection.path]++;
      bufferedBytes += connection.buffered();
    }
    return {
      connections: perPath,
      channels: index.channelCount(),
      subscriptions: index.subscriptionCount(),
      ...counters.totals(),
      bufferedBytes,
    };
  }

  function deliverLocal(message: GatewayMessage, frame = frameOf({ type: 'event', channel: message.channel, data: message.data })): void {
    for (const path of message.path ? [message.path] : GATEWAY_PATH_NAMES) {
      const members = index.members(path, message.channel);
      if (!members) continue;
      const { audience } = message;
      for (const connection of members) {
        if (!audience || audienceAllows(connection.identity, audience)) connection.send(frame);
      }
    }
  }

  const heartbeat = setInterval(() => {
    const frame = frameOf({ type: 'heartbeat', at: new Date(clock.now()).toISOString() });
    for (const connection of connections) {
      if (!connection.heartbeat(frame)) logger.debug({ socket: connection.id, path: connection.path }, 'terminated a dead gateway socket');
    }
  }, heartbeatMs);
  heartbeat.unref();

  function accept(ws: WebSocket, path: GatewayPath, identity: Identity, release: () => void): void {
    const connection = createConnection({
      ws,
      id: randomUUID(),
      path,
      identity,
      clock,
      maxBufferedBytes,
      maxQueuedFrames,
      onSent: () => counters.recordOut(path),
      onDropped: (count) => counters.recordDropped(path, count),
    });
    const session = createSession({ connection, index, fanout, maxSubscriptions });
    connections.add(connection);
    const bucket = createRateBucket(messageRate, rateClock);
    let limited = false;
    ws.on('pong', () => connection.markAlive());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      counters.recordIn(path);
      if (limited) return;
      if (!bucket.take().ok) {
        // A flood costs parsing and replies; closing is cheaper than answering each message.
        limited = true;
        logger.info({ socket: connection.id, user: identity.userId, path }, 'gateway socket closed: message rate limit');
        connection.close(ERROR_CODES['rate-limited'].ws, 'rate-limited');
        return;
      }
      connection.markAlive();
      if (isBinary) return session.receiveBinary();
      session.receive(rawText(data));
    });
    ws.on('error', (error) => logger.debug({ err: error, socket: connection.id }, 'gateway socket error'));
    ws.on('close', () => {
      release();
      connections.delete(connection);
      session.end();
      connection.dispose();
    });
  }

  async function authenticate(request: IncomingMessage, socket: Duplex, head: Buffer, path: GatewayPath, url: URL): Promise<void> {
    const headers = { get: (name: string) => headerValue(request, name) };
    try {
      if (credentialSource(headers, url) === 'cookie' && !originPolicy.allows(headers.get('origin'), headers.get('host'))) {
        throw new AppError('forbidden', 'This Origin may not use the session cookie; send the token as a Bearer header or ?token=', {
          origin: headers.get('origin')?.slice(0, 200),
        });
      }
      const identity = await verifier.verify(tokenFromRequest(headers, url, { allowQuery: true }));
      // The verifier tolerates 30 s of clock skew; a socket would be closed at once for expiry,
      // so an already expired token is refused here where the client sees a plain 401.
      if (identity.expiresAt <= clock.now()) throw new AppError('unauthorized', 'The token has expired');
      if (closing) return refuse(socket, 503, new AppError('service-unavailable', 'The server is shutting down'));
      if (socket.destroyed) return;
      const release = perUser.acquire(identity.userId);
      if (!release) {
        throw new AppError('rate-limited', `At most ${maxPerUser} gateway connections per user`, { limit: maxPerUser });
      }
      // The upgraded socket is this one: its close ends the WebSocket, or an upgrade `ws` refused.
      socket.once('close', release);
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, path, identity, release));
    } catch (error) {
      const appError = isAppError(error) ? error : new AppError('unauthorized', 'The token could not be verified');
      logger.debug({ path, reason: appError.message }, 'gateway upgrade refused');
      refuse(socket, appError.httpStatus, appError);
    }
  }

  return {
    handleUpgrade(request, socket, head) {
      socket.on('error', () => socket.destroy());
      if (closing) return refuse(socket, 503, new AppError('service-unavailable', 'The server is shutting down'));
      const url = new URL(request.url ?? '/', 'http://localhost');
      const path = gatewayPathOf(url.pathname);
      if (!path) return refuse(socket, 404, new AppError('not-found', 'No gateway at this path'));
      void authenticate(request, socket, head, path, url);
    },
    async publish(message) {
      if (!parseChannel(message.channel)) {
        throw new AppError('validation-failed', 'Channels are project:<projectId>, document:<projectId>/<documentId> or user:<userId>', {
          channel: message.channel,
        });
      }
      if (message.path !== undefined && !GATEWAY_PATH_NAMES.includes(message.path)) {
        throw new AppError('validation-failed', `path must be one of ${GATEWAY_PATH_NAMES.join(', ')}`);
      }
      let frame: Frame;
      try {
        frame = frameOf({ type: 'event', channel: message.channel, data: message.data });
      } catch (error) {
        throw new AppError('validation-failed', 'The data is not JSON-serializable', {}, { cause: error });
      }
      if (frame.bytes > maxEventBytes) {
        throw new AppError('message-too-large', `The event is ${frame.bytes} bytes; the limit is ${maxEventBytes}`);
      }
      deliverLocal(message, frame);
      try {
        await fanout.publish(message);
      } catch (error) {
        throw new AppError('service-unavailable', 'The message reached this instance only: Redis refused it', {}, { cause: error });
      }
    },
    stats,
    closeAll(code, reason) {
      for (const connection of connections) connection.close(code, reason);
    },
    disconnectUser(userId, code, reason) {
      let count = 0;
      for (const connection of connections) {
        if (connection.identity.userId !== userId) continue;
        connection.close(code, reason);
        count++;
      }
      return count;
    },
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const sockets = [...wss.clients];
        const closed = Promise.all(sockets.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())))));
        for (const connection of connections) connection.close(SHUTDOWN.code, SHUTDOWN.reason);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
        clearTimeout(timer);
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await fanout.close();
      })();
      return closing;
    },
  };
}

/** `/ws/analytics` (or `/ws/analytics/...`) -> 'analytics'. */
function gatewayPathOf(pathname: string): GatewayPath | undefined {
  const index = GATEWAY_PATHS.findIndex((p) => pathname === p || pathname.startsWith(`${p}/`));
  return index < 0 ? undefined : GATEWAY_PATH_NAMES[index];
}
