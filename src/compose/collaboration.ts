import type { Redis as RedisExtension } from '@hocuspocus/extension-redis';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from '../auth/tokens.js';
import { createConnectionRegistry, type ConnectionRegistry } from '../collab/connection-registry.js';
import { documentNameOf } from '../collab/document-name.js';
import { writingConsumer } from '../collab/edit-consumers.js';
import { createDocumentTapExtension } from '../collab/extensions/document-tap.js';
import { createPresenceExtension } from '../collab/extensions/presence.js';
import { createWordCreditExtensions } from '../collab/extensions/word-credits.js';
import { createRelayedWords } from '../collab/relayed-words.js';
import { createCollaboration, type Collaboration } from '../collab/hocuspocus.js';
import { createLiveDocuments } from '../collab/live-documents.js';
import { createRecentlyClosed } from '../collab/recently-closed.js';
import { createCollabSocketServer, type CollabSocketServer } from '../collab/websocket.js';
import type { Config } from '../config.js';
import type { Database } from '../db/document-store.js';
import { createGroupCommit, type GroupCommit } from '../db/group-commit.js';
import { createRedisLiveSessionStore } from '../db/redis-live-session-store.js';
import type { EventBus } from '../events/bus.js';
import { withWriterAudience } from '../gateway/audience.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { LiveDocuments } from '../services/documents/ports.js';
import { createPresenceService, type PresenceService } from '../services/presence/presence-service.js';
import { createClientWriters } from '../services/writing/client-writers.js';
import { createMemoryLiveSessionStore } from '../services/writing/live-store.js';
import { createWritingService, type WritingService } from '../services/writing/writing-service.js';

export interface CollaborationParts {
  collaboration: Collaboration;
  sockets: CollabSocketServer;
  registry: ConnectionRegistry;
  groupCommit: GroupCommit;
  liveDocuments: LiveDocuments;
  /** Undefined when REAL_TIME_TRACKING_ENABLED is false (no tap consumer, routes answer 503). */
  writing: WritingService | undefined;
  presence: PresenceService | undefined;
}

/**
 * The edit path (docs/architecture.md "An edit's path"): Hocuspocus with persistence (the update
 * log through the group commit, snapshots), the one document tap feeding the writing service and
 * presence, the connection registry and the collaboration socket server, and LiveDocuments for
 * server-side edits.
 */
export function composeCollaboration(deps: {
  config: Config;
  db: Database;
  /** With the Hocuspocus extension's class, loaded only when REDIS_URL is set (redis-libs.ts). */
  redis: { client: Redis; Extension: typeof RedisExtension } | undefined;
  bus: EventBus;
  gateway: Pick<Gateway, 'publish'>;
  verifier: TokenVerifier;
  metrics: Pick<Metrics, 'durableAckSeconds' | 'updatesLogged'>;
  actorOf: (userId: string) => string;
  /** Every live writing push, before it goes out (the break suggestion becomes a notification). */
  onWritingPush: (message: { channel: string; data: unknown }) => void;
  clock: Clock;
  logger: Logger;
}): CollaborationParts {
  const { config, db, bus, gateway, actorOf, clock, logger } = deps;
  const redis = deps.redis?.client;
  let collaboration: Collaboration | undefined;

  // Real-time tracking off: no tracker extension, no service, and its routes answer 503.
  const writing = config.features.realTimeTracking
    ? createWritingService({
        store: db.writing,
        live: redis ? createRedisLiveSessionStore(redis) : createMemoryLiveSessionStore(),
        publish: (event) => bus.publish(event),
        // A writer's live numbers reach only the writer, owners and admins (lib/visibility.ts).
        push: (message) => {
          deps.onWritingPush(message);
          return gateway.publish(withWriterAudience(message));
        },
        actorOf,
        clock,
        logger: logger.child({ module: 'writing' }),
        tickMs: config.writing.tickMs,
        flushMs: config.writing.flushMs,
        thresholds: config.writing.thresholds,
      })
    : undefined;

  // Presence and conflict prediction: same flag as the writing service (no extension when off).
  const presence = config.features.realTimeTracking
    ? createPresenceService({
        clock,
        logger: logger.child({ module: 'presence' }),
        publish: (event) => bus.publish(event),
        push: (message) => gateway.publish(message),
        broadcast: (name, message) => collaboration?.hocuspocus.documents.get(name)?.broadcastStateless(JSON.stringify(message)),
        actorOf,
        parseDocumentName: documentNameOf,
        clients: db.documentClients,
        idleRetentionMs: config.presence.idleRetentionMs,
      })
    : undefined;

  // One transaction tap per document feeds every consumer of edits (one line each to add).
  const presenceExtension = presence ? createPresenceExtension({ service: presence, clock, logger: logger.child({ module: 'presence-extension' }) }) : undefined;
  // Journaled words are credited by the Yjs client ids that typed them (issue 20: re-sends after a crash).
  const clientWriters = writing ? createClientWriters({ store: db.documentClients, logger: logger.child({ module: 'word-credits' }) }) : undefined;
  const tap = writing || presenceExtension ? createDocumentTapExtension({ clock, logger: logger.child({ module: 'document-tap' }), keyUpdates: redis !== undefined && clientWriters !== undefined, ...(clientWriters ? { writerOf: clientWriters.writerOf } : {}) }) : undefined;
  if (writing) tap?.subscribe(writingConsumer(writing));
  if (presenceExtension) tap?.subscribe(presenceExtension.onEdit);

  const registry = createConnectionRegistry({ maxSocketsPerUser: config.abuse.maxConnectionsPerUser });
  const groupCommit = createGroupCommit({
    store: db.documents,
    maxBatch: config.persistence.groupCommitMaxBatch,
    maxDelayMs: config.persistence.groupCommitMaxDelayMs,
    logger: logger.child({ module: 'group-commit' }),
  });
  const appender = {
    async append(record: Parameters<typeof groupCommit.append>[0]) {
      const end = deps.metrics.durableAckSeconds.startTimer();
      const seq = await groupCommit.append(record);
      end();
      deps.metrics.updatesLogged.inc();
      return seq;
    },
  };

  const wordCredits = clientWriters ? createWordCreditExtensions({ writers: clientWriters, appender, clock, logger: logger.child({ module: 'word-credits' }) }) : undefined;
  if (wordCredits) tap?.subscribe(wordCredits.onEdit);
  // Several instances: words of relayed updates whose instance died before logging them (issue 20).
  if (redis && clientWriters) tap?.subscribe(createRelayedWords({ ranges: db.wordRanges, writers: clientWriters, appender, clock, logger: logger.child({ module: 'relayed-words' }) }).onEdit);

  // One instance (no REDIS_URL): nobody else can change a document this one closed, so the last
  // few closed ones stay decoded for server-side reads (a version or export after everyone left).
  const recent = deps.redis ? undefined : createRecentlyClosed();

  collaboration = createCollaboration({
    options: {
      maxDocumentBytes: config.limits.maxDocumentBytes,
      snapshotDebounceMs: config.persistence.snapshotDebounceMs,
      snapshotMaxDebounceMs: config.persistence.snapshotMaxDebounceMs,
      compactAfterUpdates: config.persistence.compactAfterUpdates,
      durableAck: config.persistence.durableAck,
      pendingLimits: config.persistence.pending,
      maxPendingDocuments: config.abuse.maxDocumentsPerSocket,
    },
    verifier: deps.verifier,
    registry,
    store: db.documents,
    appender,
    clock,
    logger,
    ...(deps.redis ? { redis: deps.redis } : {}),
    extra: [...(tap ? [tap.extension] : []), ...(presenceExtension ? [presenceExtension.extension] : []), ...(wordCredits ? [wordCredits.claims, wordCredits.journal] : []), ...(recent ? [recent.extension] : [])],
  });
  const { hocuspocus, persistence } = collaboration;
  const liveDocuments = createLiveDocuments({
    hocuspocus,
    store: db.documents,
    ...(recent ? { recent } : {}),
    settled: (name) => persistence.settled(name),
    logger: logger.child({ module: 'live-documents' }),
  });
  const sockets = createCollabSocketServer({
    hocuspocus,
    registry,
    maxMessageBytes: config.limits.maxMessageBytes,
    logger: logger.child({ module: 'ws' }),
    limits: {
      messages: config.abuse.collabMessages,
      awarenessPerSecond: config.abuse.awarenessPerSecond,
      maxDocumentsPerSocket: config.abuse.maxDocumentsPerSocket,
    },
  });
  return { collaboration, sockets, registry, groupCommit, liveDocuments, writing, presence };
}
