import { Hocuspocus, type Extension } from '@hocuspocus/server';
import type { Redis as RedisExtension } from '@hocuspocus/extension-redis';
import type { Redis as RedisClient } from 'ioredis';
import type { TokenVerifier } from '../auth/tokens.js';
import type { DocumentStore } from '../db/document-store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { CollabContext } from './context.js';
import { createAuthExtension } from './extensions/auth.js';
import { createAwarenessIdentityExtension } from './extensions/awareness-identity.js';
import { createLimitsExtension } from './extensions/limits.js';
import { createPersistenceExtension, type PendingLimits, type PersistenceExtension, type UpdateAppender } from './extensions/persistence.js';

export interface CollaborationOptions {
  maxDocumentBytes: number;
  snapshotDebounceMs: number;
  snapshotMaxDebounceMs: number;
  compactAfterUpdates: number;
  durableAck: boolean;
  /** What may wait for the store while it refuses writes (applied, delivered, not acknowledged). */
  pendingLimits: PendingLimits;
  /** Documents one socket may have waiting for authentication (Hocuspocus maxPendingDocuments). */
  maxPendingDocuments?: number;
}

/**
 * Pre-authentication bounds (Hocuspocus 4 defaults: 5 MiB, 1,000 messages, 100 documents). A
 * provider sends a handful of frames per document before its token is checked, so these are
 * ample for clients and cut what an unauthenticated socket can make the server hold. An
 * unauthenticated socket is also closed after `timeout` (30 s, the Hocuspocus default).
 */
const PRE_AUTH = { timeout: 30_000, maxUnauthenticatedQueueSize: 1024 * 1024, maxUnauthenticatedQueueMessages: 200 } as const;

export interface Collaboration {
  hocuspocus: Hocuspocus<CollabContext>;
  persistence: PersistenceExtension;
}

/**
 * The bare Hocuspocus class (not `Server`: that owns an HTTP server and exits the process on
 * signals) with our extensions, in priority order:
 * redis (1000) > auth (900) > limits (800) > persistence (700) > awareness identity (600) > the
 * trackers and metrics that later issues add (`extra`, priority < 600).
 */
export function createCollaboration(deps: {
  options: CollaborationOptions;
  verifier: TokenVerifier;
  registry: ConnectionRegistry;
  store: DocumentStore;
  appender: UpdateAppender;
  clock: Clock;
  logger: Logger;
  /**
   * Set when REDIS_URL is: documents open on several instances stay in sync through it. The
   * extension's class comes with the client because it is loaded only then (src/compose/redis-libs.ts).
   */
  redis?: { client: RedisClient; Extension: typeof RedisExtension };
  extra?: Extension<CollabContext>[];
}): Collaboration {
  const { options, logger } = deps;
  const limits = createLimitsExtension({ maxDocumentBytes: options.maxDocumentBytes, logger: logger.child({ module: 'limits' }) });
  const persistence = createPersistenceExtension({
    store: deps.store,
    appender: deps.appender,
    clock: deps.clock,
    logger: logger.child({ module: 'persistence' }),
    compactAfterUpdates: options.compactAfterUpdates,
    durableAck: options.durableAck,
    pendingLimits: options.pendingLimits,
    onLoaded: limits.loaded,
  });
  const extensions: Extension<CollabContext>[] = [
    createAuthExtension({ verifier: deps.verifier, registry: deps.registry, logger: logger.child({ module: 'auth' }) }),
    limits.extension,
    persistence.extension,
    createAwarenessIdentityExtension(),
    ...(deps.extra ?? []),
  ];
  if (deps.redis) {
    // The extension duplicates our client for pub/sub, so it shares our connection settings.
    extensions.unshift(new deps.redis.Extension({ redis: deps.redis.client, prefix: 'storyloom:collab' }) as Extension<CollabContext>);
  }
  const hocuspocus = new Hocuspocus<CollabContext>({
    name: 'storyloom',
    quiet: true,
    debounce: options.snapshotDebounceMs,
    maxDebounce: options.snapshotMaxDebounceMs,
    unloadImmediately: true,
    ...PRE_AUTH,
    maxPendingDocuments: Math.min(options.maxPendingDocuments ?? 100, 100),
    extensions,
  });
  return { hocuspocus, persistence };
}
