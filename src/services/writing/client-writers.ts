/**
 * Each document's Yjs client id -> writer map, as the word journal credits words by it
 * (tracking/writing/word-credits.ts). A client id is claimed by the user of the first connection
 * whose update carries it, durably (the document-clients store, first claim wins on every
 * instance) and before that update is acknowledged: after a crash, the restarted server loads
 * the map before any update is applied, so another writer's re-send of an unacknowledged
 * keystroke is still credited to whoever typed it.
 */
import type { Logger } from '../../lib/logger.js';

export interface ClientWriterClaim {
  documentName: string;
  clientId: number;
  userId: string;
}

/** The durable side (db.documentClients implements it). */
export interface ClientWriterStore {
  /** Stores the claims that are first, in one round trip; returns the stored writer of each claimed id. */
  claim(sightings: readonly (ClientWriterClaim & { seenAt: number })[]): Promise<ClientWriterClaim[]>;
  load(documentName: string): Promise<Map<number, string>>;
}

export interface ClientWriters {
  /** Loads a document's stored map (call before its first update is applied). */
  load(documentName: string): Promise<void>;
  /**
   * Claims for `userId` the ids among `clientIds` that no one has claimed yet, durably; resolves
   * once stored (the map then holds what the store kept for them: another instance may have
   * been first). Claims made meanwhile, in any document, share one insert.
   */
  claim(documentName: string, clientIds: Iterable<number>, userId: string, now: number): Promise<void>;
  /** The writer of a client id, if claimed. */
  writerOf(documentName: string, clientId: number): string | undefined;
  /** Drops an unloaded document's map. */
  forget(documentName: string): void;
}

interface Waiting {
  rows: (ClientWriterClaim & { seenAt: number })[];
  stored: Promise<void>;
  resolve(): void;
}

export function createClientWriters(deps: { store: ClientWriterStore; logger: Logger }): ClientWriters {
  const maps = new Map<string, Map<number, string>>();
  const mapOf = (name: string): Map<number, string> => {
    let map = maps.get(name);
    if (map === undefined) maps.set(name, (map = new Map()));
    return map;
  };

  // Group commit of claims: a connect burst (every writer's first keystroke at once) would
  // otherwise queue one insert per writer in the database. Claims made in the same tick, or while
  // an insert is in flight, go together in the next insert; one insert at a time.
  let queue: Waiting[] = [];
  /** Claims queued or in flight, by document and id: a later update carrying the id waits for it too. */
  const unsettled = new Map<string, Promise<void>>();
  const keyOf = (documentName: string, clientId: number): string => `${clientId}\u0000${documentName}`;
  let writing = false;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || writing || queue.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void write();
    });
  }

  async function write(): Promise<void> {
    const batch = queue;
    queue = [];
    writing = true;
    try {
      const stored = await deps.store.claim(batch.flatMap((w) => w.rows));
      // Stored claims win over the ones made here: the store keeps whichever instance was first.
      for (const c of stored) maps.get(c.documentName)?.set(c.clientId, c.userId);
    } catch (error) {
      // The claims stay in memory; the update's own append fails the same way if the database is down.
      const rows = batch.flatMap((w) => w.rows);
      const documents = [...new Set(rows.map((r) => r.documentName))];
      deps.logger.warn({ err: error, claims: rows.length, documents: documents.slice(0, 20) }, 'client ids not claimed durably');
    } finally {
      writing = false;
      for (const w of batch) {
        for (const r of w.rows) {
          const key = keyOf(r.documentName, r.clientId);
          if (unsettled.get(key) === w.stored) unsettled.delete(key);
        }
        w.resolve();
      }
      schedule();
    }
  }

  return {
    async load(documentName) {
      const stored = await deps.store.load(documentName);
      const map = mapOf(documentName);
      for (const [id, userId] of stored) map.set(id, userId);
    },
    claim(documentName, clientIds, userId, now) {
      const map = mapOf(documentName);
      const rows: Waiting['rows'] = [];
      const earlier = new Set<Promise<void>>();
      for (const id of clientIds) {
        if (map.has(id)) {
          const claiming = unsettled.get(keyOf(documentName, id));
          if (claiming !== undefined) earlier.add(claiming);
          continue;
        }
        if (!Number.isSafeInteger(id) || id < 0) continue;
        map.set(id, userId);
        rows.push({ documentName, clientId: id, userId, seenAt: now });
      }
      if (rows.length > 0) {
        let resolve!: () => void;
        const stored = new Promise<void>((r) => (resolve = r));
        queue.push({ rows, stored, resolve });
        for (const r of rows) unsettled.set(keyOf(documentName, r.clientId), stored);
        earlier.add(stored);
        schedule();
      }
      // Resolves when every id of the update is durably claimed, by this call or an earlier one.
      return earlier.size === 0 ? Promise.resolve() : Promise.all(earlier).then(() => undefined);
    },
    writerOf(documentName, clientId) {
      return maps.get(documentName)?.get(clientId);
    },
    forget(documentName) {
      maps.delete(documentName);
    },
  };
}
