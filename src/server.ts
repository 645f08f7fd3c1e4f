import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createApi } from './api/app.js';
import { createRestRateLimit } from './api/middleware/rate-limit.js';
import { DEMO_DOCUMENT } from './api/routes/dev.js';
import { seedDemoDocument } from './collab/demo-seed.js';
import type { LiveDocuments } from './services/documents/ports.js';
import { startAuditArchive } from './audit/archive-consumer.js';
import { resolveAuthSecret } from './auth/secret.js';
import { createTokenVerifier, type TokenVerifier } from './auth/tokens.js';
import { REVOKED_CLOSE, SHUTDOWN_CLOSE } from './collab/close-codes.js';
import type { Collaboration } from './collab/hocuspocus.js';
import { createUpgradeRouter } from './collab/upgrade-router.js';
import type { Config } from './config.js';
import { createDatabase } from './db/client.js';
import type { Database } from './db/document-store.js';
import { createActorHasher } from './events/actor.js';
import type { EventBus } from './events/bus.js';
import { createMemoryBus } from './events/memory-bus.js';
import { bridgeEventsToGateway } from './gateway/event-bridge.js';
import { GATEWAY_PATHS, createGateway, type Gateway } from './gateway/gateway.js';
import { createOriginPolicy } from './gateway/origin.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics } from './metrics/registry.js';
import { composeCollaboration, type CollaborationParts } from './compose/collaboration.js';
import { composeManuscripts } from './compose/manuscripts.js';
import { composeNotifications } from './compose/notifications.js';
import { composeWorkflows } from './compose/workflows.js';
import { loadRedisLibs } from './compose/redis-libs.js';
import { createArchiveQueryService } from './services/archive/archive-service.js';
import { createWritingReports } from './services/reports/writing-reports.js';
import { invalidatingWritingStore } from './services/writing/invalidating-store.js';
import type { WritingService } from './services/writing/writing-service.js';
import type { NotificationService } from './services/notifications/notification-service.js';
import type { Identity } from './lib/identity.js';

export const VERSION = '0.1.0';
export const COLLAB_PATHS = ['/collaboration', '/ws/collaboration'] as const;
/** The Vite build of the demo web app (`npm run build:web`), next to src/. */
const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface StoryloomServer {
  readonly httpServer: HttpServer;
  readonly collaboration: Collaboration;
  readonly database: Database;
  readonly bus: EventBus;
  readonly gateway: Gateway;
  /** Pseudonymous actor (HMAC) of a user id, as it appears in events. */
  readonly actorOf: (userId: string) => string;
  /** The live writing service; undefined when REAL_TIME_TRACKING_ENABLED is false. */
  readonly writing: WritingService | undefined;
  /** Notifications: inbox, preferences, routing and the outbox (docs/notifications.md). */
  readonly notifications: NotificationService;
  /** Server-side edits of live documents (restores, imports, workflow actions). */
  readonly liveDocuments: LiveDocuments;
  /** The secret tokens are signed with (configured, or generated into DATA_DIR outside production). */
  readonly authSecret: string;
  readonly authSecretSource: 'env' | 'generated' | 'data-dir';
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Graceful shutdown; resolves once every change is stored and every resource is closed. */
  close(): Promise<void>;
}

/**
 * The composition root: the only place that constructs adapters. Everything runs on one
 * node:http server: Hono answers HTTP, and upgrades go to Hocuspocus (/collaboration) or to the
 * channel gateway (/ws/analytics, /ws/notifications, /ws/presence).
 */
export async function createServer(config: Config, deps: { logger?: Logger; clock?: Clock } = {}): Promise<StoryloomServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const clock = deps.clock ?? systemClock;
  const { secret, source } = await resolveAuthSecret({ configured: config.authSecret, dataDir: config.dataDir });
  const tokenVerifier = createTokenVerifier({ secret, ...config.tokens });
  // Every verified token (REST, /collaboration, /ws/*) tells notifications who the user is:
  // rules from events reach writers and owners through what was seen here.
  let onIdentity: ((identity: Identity) => void) | undefined;
  const verifier: TokenVerifier = {
    async verify(token) {
      const identity = await tokenVerifier.verify(token);
      onIdentity?.(identity);
      return identity;
    },
  };
  // Derived from the auth secret so every instance computes the same pseudonym for a user.
  const actorOf = createActorHasher(`storyloom-actor:${secret}`);

  const db = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  const redisLibs = config.redisUrl ? await loadRedisLibs() : undefined;
  const redis = config.redisUrl && redisLibs ? new redisLibs.Redis(config.redisUrl, { maxRetriesPerRequest: 3 }) : undefined;
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis error'));

  // Read at scrape time, once the edit path below exists.
  let collab: CollaborationParts | undefined;
  const metrics = createMetrics({
    connections: () => collab?.sockets.count() ?? 0,
    documents: () => collab?.collaboration.hocuspocus.getDocumentsCount() ?? 0,
    registrySockets: () => collab?.registry.count() ?? 0,
    persistence: () => {
      const report = collab?.collaboration.persistence.report();
      return {
        failing: report?.failingSince != null,
        undurableDocuments: report?.undurableDocuments ?? 0,
        documents: report?.documents ?? 0,
        pendingUpdates: report?.pendingAppends ?? 0,
        pendingBytes: report?.pendingBytes ?? 0,
      };
    },
    pendingAppends: () => collab?.groupCommit.pending() ?? 0,
  });

  const bus: EventBus = redis && redisLibs
    ? redisLibs.createRedisStreamsBus({ redis, logger: logger.child({ module: 'bus' }), registry: metrics.registry })
    : createMemoryBus({ logger: logger.child({ module: 'bus' }), registry: metrics.registry, keepConsumed: config.events.memoryBusKeepConsumed });
  const gateway = createGateway({
    verifier,
    logger: logger.child({ module: 'gateway' }),
    registry: metrics.registry,
    ...(redis ? { redis } : {}),
    originPolicy: createOriginPolicy({ allowedOrigins: config.abuse.allowedOrigins, publicUrl: config.abuse.publicUrl }),
    actorOf,
    maxConnectionsPerUser: config.abuse.maxConnectionsPerUser,
    messageRate: config.abuse.gatewayMessages,
  });
  // Notifications (docs/notifications.md): in-app on the gateway, email/SMS/push from src/delivery/.
  const notifications = await composeNotifications({
    config,
    db,
    gateway,
    actorOf,
    unsubscribeSecret: secret,
    writing: () => collab?.writing,
    clock,
    logger,
  });
  onIdentity = (identity) => notifications.service.sighted(identity);
  const consumers = [
    bus.subscribe(notifications.consumer),
    startAuditArchive({ bus, archive: db.events, logger: logger.child({ module: 'audit' }) }),
    bridgeEventsToGateway({ bus, gateway, logger: logger.child({ module: 'bridge' }) }),
  ];

  collab = composeCollaboration({
    config,
    db,
    redis: redis && redisLibs ? { client: redis, Extension: redisLibs.RedisExtension } : undefined,
    bus,
    gateway,
    verifier,
    metrics,
    actorOf,
    // The break suggestion also becomes a low notification (notify/rules.ts).
    onWritingPush: (message) => notifications.rules.onWritingPush(message),
    clock,
    logger,
  });
  const { collaboration, sockets, registry, groupCommit, liveDocuments, writing, presence } = collab;
  const { hocuspocus, persistence } = collaboration;

  let accepting = true;
  // Goal and preference writes also clear the writing service's caches (opt-out applies at once).
  const writingStore = writing ? invalidatingWritingStore(db.writing, writing) : db.writing;
  const reports = createWritingReports({ store: writingStore, clock });
  const manuscripts = composeManuscripts({ config, db, live: liveDocuments, bus, actorOf, clock, logger });
  // Workflows (docs/workflows.md): runner, triggers and actions; their routes answer 503 when off.
  const workflows = config.features.workflowAutomation
    ? composeWorkflows({ config, db, bus, clock, logger, registry: metrics.registry, live: liveDocuments, ...manuscripts, notifications: notifications.service, reports })
    : undefined;
  const api = createApi({
    verifier,
    logger: logger.child({ module: 'api' }),
    health: {
      checks: { database: () => db.ping(), ...(redis ? { redis: async () => void (await redis.ping()) } : {}) },
      // Without Redis an instance still serves its own writers (tests/faults/redis-outage.fault.ts).
      degradedOnly: ['redis'],
      accepting: () => accepting,
      // Edits failing to store (disk full, database refusing writes) take the instance out: 503.
      persistence: () => persistence.report(),
      logger: logger.child({ module: 'readiness' }),
      notificationChannels: () => notifications.service.channelStatus(),
    },
    admin: {
      disconnectUser: (userId) =>
        registry.disconnectUser(userId, REVOKED_CLOSE.code, REVOKED_CLOSE.reason) +
        gateway.disconnectUser(userId, REVOKED_CLOSE.code, REVOKED_CLOSE.reason),
    },
    events: { bus, archive: createArchiveQueryService({ archive: db.events, actorOf }), actorOf },
    websocket: { stats: () => ({ ...gateway.stats() }), broadcast: (message) => gateway.publish(message) },
    writingAnalytics: { store: writingStore, clock, reports },
    metrics,
    features: config.features,
    ...(writing ? { writingSessions: { service: writing } } : {}),
    ...(presence ? { collaboration: { presence, contributions: (p: string, d: string) => db.writing.documentContributions(p, d) } } : {}),
    version: VERSION,
    notifications: {
      service: notifications.service,
      isMember: async (projectId: string, userId: string) => (await db.notifications.roleOf(projectId, userId)) !== null,
      unsubscribeSecret: secret,
    },
    ...(workflows ? { workflows: { workflows: workflows.service } } : {}),
    versions: { versions: manuscripts.versions },
    publishing: { publishing: manuscripts.publishing, maxImportBytes: config.limits.maxImportBytes },
    maxBodyBytes: config.limits.maxBodyBytes,
    rateLimit: createRestRateLimit(config.abuse.restRequests),
    web: { distDir: WEB_DIST },
    // Anyone may mint a demo token there: only where config.devTokens enables it (never in production).
    ...(config.devTokens.enabled && !config.production
      ? { dev: { secret, clock, loopbackOnly: config.devTokens.loopbackOnly, ...config.tokens } }
      : {}),
  });

  const httpServer = createHttpServer(getRequestListener(api.fetch));
  httpServer.on(
    'upgrade',
    createUpgradeRouter(
      [
        { paths: COLLAB_PATHS, handle: (req, socket, head) => sockets.handleUpgrade(req, socket, head) },
        { paths: GATEWAY_PATHS, handle: (req, socket, head) => gateway.handleUpgrade(req, socket, head) },
      ],
      { accepting: () => accepting, maxConnectionsPerIp: config.abuse.maxConnectionsPerIp },
    ),
  );

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    accepting = false;
    const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    // Closing the sockets runs Hocuspocus's disconnect path: each document's last connection
    // triggers its final store. Updates already in the group commit still land; an update
    // whose log row did not commit was never acknowledged, and its provider re-sends it.
    sockets.closeAll(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason);
    gateway.closeAll(SHUTDOWN_CLOSE.code, SHUTDOWN_CLOSE.reason);
    httpServer.closeAllConnections();
    await groupCommit.flush();
    hocuspocus.flushPendingStores();
    try {
      await persistence.flushAll([...hocuspocus.documents.values()]);
    } catch (error) {
      logger.error({ err: error }, 'some documents kept their changes only in the update log');
    }
    await groupCommit.close();
    // Running steps finish briefly, then every run is handed back for the next start.
    await workflows?.stop().catch((error: unknown) => logger.warn({ err: error }, 'workflows did not stop cleanly'));
    // Client ids first seen since the last batch, before the database closes.
    await presence?.close();
    // Pending words, buckets and live session state, before the bus and the database close.
    await writing?.close().catch((error: unknown) => logger.warn({ err: error }, 'writing service did not flush'));
    // Events published during shutdown still reach the bus; consumers finish what they hold.
    await bus.flush().catch((error: unknown) => logger.warn({ err: error }, 'event bus flush failed'));
    await Promise.allSettled(consumers.map((c) => c.stop()));
    // A send in progress finishes; whatever is still pending stays in the outbox for the next start.
    await notifications.stop();
    await gateway.close();
    await bus.close();
    // Lets the Redis extension release its locks and its pub/sub connections.
    await hocuspocus.hooks('onDestroy', { instance: hocuspocus }).catch((error: unknown) => logger.warn({ err: error }, 'onDestroy hook failed'));
    await stopped;
    await redis?.quit().catch(() => redis.disconnect());
    await db.close();
    logger.info('shutdown complete');
  }

  // The demo's chapter starts with prose, written by the server (credited to no writer), only
  // where the demo itself is served.
  if (config.devTokens.enabled && !config.production) {
    await seedDemoDocument(hocuspocus, DEMO_DOCUMENT, logger.child({ module: 'demo' })).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not seed the demo document'),
    );
  }

  return {
    httpServer,
    collaboration,
    database: db,
    bus,
    gateway,
    actorOf,
    writing,
    notifications: notifications.service,
    liveDocuments,
    authSecret: secret,
    authSecretSource: source,
    listen(port = config.http.port, host = config.http.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve(httpServer.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
