/**
 * The Yjs client id -> user map's persistence: new sightings are batched and written at most
 * every `flushMs` (a failed batch is kept for the next try, bounded), and a (re)loaded
 * document's stored ids are merged under the live ones. Without a store it keeps nothing.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { ClientMapStore, ClientSighting } from './ports.js';

/** Sightings kept for a retry while the database is down; beyond this the oldest are dropped. */
const MAX_UNSAVED_SIGHTINGS = 10_000;

export interface ClientIdStore {
  /**
   * Notes that `clientId` wrote for `userId` in the document whose live map is `clientToUser`:
   * updates the map and queues a write for an id not seen before.
   */
  sighted(documentName: string, clientToUser: Map<number, string>, clientId: number, userId: string, now: number): void;
  /** Merges the stored ids of a document that (re)loaded; live sightings take precedence. */
  load(documentName: string, clientToUser: Map<number, string>): void;
  /** Writes the queued sightings when `flushMs` has passed since the last write (the tick calls it). */
  maybeFlush(now: number): void;
  /** Writes everything queued (and waits for a write under way). */
  close(): Promise<void>;
}

export function createClientIdStore(deps: { store?: ClientMapStore; clock: Clock; logger: Logger; flushMs?: number }): ClientIdStore {
  const { store, clock, logger } = deps;
  const flushMs = deps.flushMs ?? 1_000;
  let unsaved: ClientSighting[] = [];
  let flushing: Promise<void> | null = null;
  let lastFlushAt = -Infinity;

  /** One batched insert of the client ids first seen since the last one; a failed batch is retried. */
  function flush(): Promise<void> {
    if (flushing !== null || unsaved.length === 0 || store === undefined) return flushing ?? Promise.resolve();
    const batch = unsaved;
    unsaved = [];
    lastFlushAt = clock.now();
    flushing = store
      .record(batch)
      .catch((error: unknown) => {
        logger.warn({ err: error, sightings: batch.length }, 'client ids not stored; retrying');
        unsaved = [...batch, ...unsaved].slice(-MAX_UNSAVED_SIGHTINGS);
      })
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  return {
    sighted(documentName, clientToUser, clientId, userId, now) {
      if (clientToUser.get(clientId) === userId) return;
      if (!clientToUser.has(clientId) && store !== undefined) {
        unsaved.push({ documentName, clientId, userId, seenAt: now });
        if (unsaved.length > MAX_UNSAVED_SIGHTINGS) unsaved.splice(0, unsaved.length - MAX_UNSAVED_SIGHTINGS);
      }
      clientToUser.set(clientId, userId);
    },
    load(documentName, clientToUser) {
      store
        ?.load(documentName)
        .then((stored) => {
          for (const [id, userId] of stored) if (!clientToUser.has(id)) clientToUser.set(id, userId);
        })
        .catch((error: unknown) => logger.warn({ err: error, document: documentName }, 'client ids not loaded'));
    },
    maybeFlush(now) {
      if (unsaved.length > 0 && now - lastFlushAt >= flushMs) void flush();
    },
    async close() {
      await flushing;
      await flush();
    },
  };
}
