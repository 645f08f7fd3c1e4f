/**
 * Each document's Yjs client id -> writer map, as the word journal credits words by it
 * (tracking/writing/word-credits.ts). A client id is claimed by the user of the first connection
 * whose update carries it, durably (the document-clients store, first claim wins on every
 * instance) and before that update is acknowledged: after a crash, the restarted server loads
 * the map before any update is applied, so another writer's re-send of an unacknowledged
 * keystroke is still credited to whoever typed it.
 */
import type { Logger } from '../../lib/logger.js';

/** The durable side (db.documentClients implements it). */
export interface ClientWriterStore {
  record(sightings: readonly { documentName: string; clientId: number; userId: string; seenAt: number }[]): Promise<void>;
  load(documentName: string): Promise<Map<number, string>>;
}

export interface ClientWriters {
  /** Loads a document's stored map (call before its first update is applied). */
  load(documentName: string): Promise<void>;
  /**
   * Claims for `userId` the ids among `clientIds` that no one has claimed yet, durably; resolves
   * once stored (the map then holds what the store kept: another instance may have been first).
   */
  claim(documentName: string, clientIds: Iterable<number>, userId: string, now: number): Promise<void>;
  /** The writer of a client id, if claimed. */
  writerOf(documentName: string, clientId: number): string | undefined;
  /** Drops an unloaded document's map. */
  forget(documentName: string): void;
}

export function createClientWriters(deps: { store: ClientWriterStore; logger: Logger }): ClientWriters {
  const maps = new Map<string, Map<number, string>>();
  const mapOf = (name: string): Map<number, string> => {
    let map = maps.get(name);
    if (map === undefined) maps.set(name, (map = new Map()));
    return map;
  };

  async function load(documentName: string): Promise<void> {
    const stored = await deps.store.load(documentName);
    // Stored claims win over the ones made here: the store keeps whichever instance was first.
    const map = mapOf(documentName);
    for (const [id, userId] of stored) map.set(id, userId);
  }

  return {
    load,
    async claim(documentName, clientIds, userId, now) {
      const map = mapOf(documentName);
      const fresh: number[] = [];
      for (const id of clientIds) {
        if (map.has(id) || !Number.isSafeInteger(id) || id < 0) continue;
        map.set(id, userId);
        fresh.push(id);
      }
      if (fresh.length === 0) return;
      try {
        await deps.store.record(fresh.map((clientId) => ({ documentName, clientId, userId, seenAt: now })));
        await load(documentName);
      } catch (error) {
        // The claim stays in memory; the update's own append fails the same way if the database is down.
        deps.logger.warn({ err: error, document: documentName, clientIds: fresh }, 'client ids not claimed durably');
      }
    },
    writerOf(documentName, clientId) {
      return maps.get(documentName)?.get(clientId);
    },
    forget(documentName) {
      maps.delete(documentName);
    },
  };
}
