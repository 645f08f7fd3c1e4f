import type {
  Extension,
  Hocuspocus,
  beforeSyncPayload,
  onChangePayload,
  onLoadDocumentPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import { isTransactionOrigin } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { DocumentStore, RecordWords, UpdateRecord } from '../../db/document-store.js';
import type { Clock } from '../../lib/clock.js';
import { backoffDelay } from '../../lib/backoff.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { DOCUMENT_EDIT, JOURNAL_WORDS, type DocumentEdit } from '../../tracking/document-edit.js';
import { refuseForStorage, toRefusal } from '../close-codes.js';
import { createPersistenceHealth, type PersistenceHealth, type PersistenceHealthState } from '../persistence-health.js';
import { safeHook } from '../safe-hook.js';
import type { CollabContext } from '../context.js';

/** y-protocols sync message types (beforeSync's `type`). */
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;
/** Failed compaction retries: ceilings 1 s, 2 s .. 60 s. */
const COMPACTION_RETRY = { baseMs: 1_000, maxMs: 60_000 };
/** A document holding a change that is not durable refuses syncs until stored: retry it soon. */
const UNDURABLE_RETRY = { baseMs: 250, maxMs: 2_000 };
/** A Yjs v1 update with nothing in it: the probe appended to learn whether the log works again. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** Origin of updates applied while loading from storage; never logged again. */
export const LOAD_ORIGIN = Symbol('storyloom-load');

export interface UpdateAppender {
  /** Resolves with the row's seq once its batch is committed. */
  append(record: UpdateRecord): Promise<number>;
}

interface PendingUpdate {
  seq: number;
  update: Uint8Array;
}

interface DocState {
  /** Log rows not yet folded into the snapshot (with their bytes, to prove containment). */
  pending: PendingUpdate[];
  /** Server-side (local) updates whose append failed; retried, and they pin the document. */
  unlogged: Uint8Array[];
  /**
   * Writers' words of client updates whose append failed (the update is applied, and a snapshot
   * will store it): journaled later on an empty update, so the writer is still credited.
   */
  unjournaled: { userId: string; words: RecordWords; receivedAt: number }[];
  inflight: Set<Promise<unknown>>;
  retryTimer: NodeJS.Timeout | undefined;
  retryAttempt: number;
  /**
   * A client update was applied here (delivered first) but its log append failed: the in-memory
   * document holds a change that is not durable. Until a snapshot stores the whole state, no
   * client may complete a sync against it: a reconnecting sender would find its change "already
   * on the server" and count it acknowledged (found by tests/faults/full-disk.fault.ts).
   */
  undurable: boolean;
  /** Counts failed appends, so a snapshot clears `undurable` only if none failed after it read the state. */
  failures: number;
  /** The loaded document and its Hocuspocus, for a retry scheduled outside a store hook. */
  loaded?: { instance: Hocuspocus; document: Y.Doc & { name: string } };
}

export interface PersistenceStatus {
  /** Log rows not yet folded into the snapshot. */
  pending: number;
  /** A failed snapshot is waiting for its next attempt. */
  retrying: boolean;
  /** Server-side updates whose log append failed and waits for a retry. */
  unlogged: number;
}

/** What `/readyz` and `/metrics` show of the document store's writes (src/collab/persistence-health.ts). */
export interface PersistenceReport extends PersistenceHealthState {
  /** Loaded documents holding an applied client change that is not durable (they refuse syncs). */
  undurableDocuments: number;
  /** Log appends started and not yet settled. */
  pendingAppends: number;
  /** Documents this extension holds state for (loaded ones; more would be a leak). */
  documents: number;
}

export interface PersistenceExtension {
  extension: Extension<CollabContext>;
  /** Whether writes are failing, and what is waiting on them. */
  report(): PersistenceReport;
  /** What is not yet compacted or stored, for a loaded document; undefined otherwise. */
  status(documentName: string): PersistenceStatus | undefined;
  /**
   * Resolves once every update of the document appended so far is in the log (or its append
   * failed and waits for a retry: then it rejects). For server-side edits that answer a request.
   */
  settled(documentName: string): Promise<void>;
  /** Waits for in-flight appends and compacts every loaded document: for graceful shutdown. */
  flushAll(documents: Iterable<Y.Doc & { name: string }>): Promise<void>;
}

/**
 * Snapshot + append-only update log. The log is the truth for anything newer than the snapshot:
 *
 * - A client's update is appended (group commit) in `beforeSync`, which Hocuspocus awaits
 *   before sending the sync-status acknowledgement. So an acknowledged update is always on
 *   disk, whatever happens to the process next (`durableAck`). The update is applied (and so
 *   broadcast) before the wait: other writers see it one commit sooner.
 * - Compaction (on Hocuspocus's debounced store, when enough log rows piled up, when the last
 *   client leaves, and on shutdown) writes a snapshot and deletes only the rows the snapshot
 *   provably contains (`Y.snapshotContainsUpdate`), so a row logged but not yet applied can
 *   never be folded away.
 * - Updates from another instance (origin `redis`) were logged by that instance: not again here.
 */
export function createPersistenceExtension(deps: {
  store: DocumentStore;
  appender: UpdateAppender;
  clock: Clock;
  logger: Logger;
  compactAfterUpdates: number;
  durableAck: boolean;
  /** Told how many stored bytes each load read (the limits extension's starting size). */
  onLoaded?: (documentName: string, bytes: number) => void;
  /** Told every write's outcome; created here when not given. */
  health?: PersistenceHealth;
}): PersistenceExtension {
  const { store, appender, clock, logger } = deps;
  const health = deps.health ?? createPersistenceHealth(clock);
  const docs = new Map<string, DocState>();

  const stateOf = (name: string): DocState => {
    let state = docs.get(name);
    if (!state) {
      state = { pending: [], unlogged: [], unjournaled: [], inflight: new Set(), retryTimer: undefined, retryAttempt: 0, undurable: false, failures: 0 };
      docs.set(name, state);
    }
    return state;
  };

  const track = <T>(state: DocState, promise: Promise<T>): Promise<T> => {
    state.inflight.add(promise);
    void promise.finally(() => state.inflight.delete(promise)).catch(() => {});
    return promise;
  };

  async function append(name: string, update: Uint8Array, userId: string | null, words?: RecordWords, receivedAt = clock.now()): Promise<void> {
    const state = stateOf(name);
    let seq: number;
    try {
      seq = await track(state, appender.append({ documentName: name, update, userId, receivedAt, ...(words ? { words } : {}) }));
    } catch (error) {
      health.recordFailure('append', error);
      throw error;
    }
    health.recordSuccess('append');
    state.pending.push({ seq, update });
  }

  async function compact(document: Y.Doc, name: string): Promise<void> {
    const state = stateOf(name);
    await Promise.allSettled([...state.inflight]);
    await retryUnlogged(name, state);
    // Read right before the state is encoded: an append that fails later may not be in it.
    const failuresSeen = state.failures;
    const snapshotUpdate = Y.encodeStateAsUpdate(document);
    const snapshot = Y.snapshot(document);
    const folded = state.pending.filter((p) => Y.snapshotContainsUpdate(snapshot, p.update));
    try {
      await store.storeSnapshot(name, snapshotUpdate, folded.map((p) => p.seq));
    } catch (error) {
      health.recordFailure('snapshot', error);
      throw error;
    }
    health.recordSuccess('snapshot');
    const foldedSeqs = new Set(folded.map((p) => p.seq));
    state.pending = state.pending.filter((p) => !foldedSeqs.has(p.seq));
    state.retryAttempt = 0;
    if (state.undurable) {
      if (state.failures === failuresSeen) {
        state.undurable = false;
        logger.info({ document: name }, 'document stored whole; syncs accepted again');
      } else if (state.loaded) {
        scheduleRetry(state.loaded.instance, state.loaded.document, name);
      }
    }
    // While the log refuses appends, a stored document stays pinned and retried all the same: an
    // empty update (a no-op to apply, folded like any row) tells when the log takes writes again,
    // so readiness returns without waiting for someone's edit.
    // Words of client updates whose append failed come after the snapshot (they must not hold it
    // up) and, like the probe, keep the document pinned and retried until the log takes them.
    await journalLeftovers(name, state);
    if (health.failing('append')) await append(name, EMPTY_UPDATE, null);
  }

  async function retryUnlogged(name: string, state: DocState): Promise<void> {
    while (state.unlogged.length > 0) {
      await append(name, state.unlogged[0]!, null);
      state.unlogged.shift();
    }
  }

  /** Journals the words of failed client appends, each on an empty update. Throws while the log refuses. */
  async function journalLeftovers(name: string, state: DocState): Promise<void> {
    while (state.unjournaled.length > 0) {
      const { userId, words, receivedAt } = state.unjournaled[0]!;
      await append(name, EMPTY_UPDATE, userId, words, receivedAt);
      state.unjournaled.shift();
    }
  }

  /**
   * A failed compaction is retried with exponential backoff (full jitter, ceiling 1 s .. 60 s) until it lands; then
   * the document may unload, which Hocuspocus itself only tries after a successful store.
   */
  function scheduleRetry(instance: Hocuspocus, document: Y.Doc & { name: string }, name: string): void {
    const state = stateOf(name);
    if (state.retryTimer) return;
    const delay = backoffDelay(state.retryAttempt, state.undurable || health.failing('append') ? UNDURABLE_RETRY : COMPACTION_RETRY);
    state.retryAttempt++;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      compact(document, name).then(
        () => {
          const loaded = instance.documents.get(name);
          if (loaded && instance.shouldUnloadDocument(loaded)) void instance.unloadDocument(loaded);
        },
        (error) => {
          logger.warn({ err: error, document: name, attempt: state.retryAttempt }, 'snapshot retry failed');
          scheduleRetry(instance, document, name);
        },
      );
    }, delay);
    state.retryTimer.unref();
  }

  const extension: Extension<CollabContext> = {
    extensionName: 'storyloom-persistence',
    priority: 700,

    async onLoadDocument({ document, documentName, instance }: onLoadDocumentPayload<CollabContext>) {
      let stored;
      try {
        stored = await store.load(documentName);
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'loading the document failed');
        // Hocuspocus does not destroy a document whose load rejected (it is not in its map yet),
        // which would leak the Y.Doc and its awareness timer: destroy it here.
        document.destroy();
        throw toRefusal(new AppError('service-unavailable', 'The document could not be loaded; try again'));
      }
      const state = stateOf(documentName);
      state.loaded = { instance, document: document as Y.Doc & { name: string } };
      let bytes = stored.snapshot?.byteLength ?? 0;
      if (stored.snapshot) Y.applyUpdate(document, stored.snapshot, LOAD_ORIGIN);
      for (const row of stored.updates) {
        bytes += row.update.byteLength;
        try {
          Y.applyUpdate(document, row.update, LOAD_ORIGIN);
          state.pending.push({ seq: row.seq, update: row.update });
        } catch (error) {
          // A row that cannot be applied is left in the log for inspection, never folded away.
          logger.error({ err: error, document: documentName, seq: row.seq }, 'skipping an update that does not apply');
        }
      }
      deps.onLoaded?.(documentName, bytes);
    },

    async beforeSync({ type, payload, connection, context, document, documentName }: beforeSyncPayload<CollabContext>) {
      if ((type !== SYNC_UPDATE && type !== SYNC_STEP_2) || connection.readOnly) return;
      // Checked before the empty-update shortcut: that empty step 2 is exactly how a reconnecting
      // sender would learn its non-durable change is "on the server".
      if (deps.durableAck && docs.get(documentName)?.undurable) {
        throw refuseForStorage(context, 'The document has changes not yet stored; reconnect to retry');
      }
      // An empty v1 update (no structs, no deletes) is what clients send after a sync with
      // nothing new: nothing to log.
      if (payload.byteLength <= 2 && payload.every((b) => b === 0)) return;
      try {
        Y.parseUpdateMeta(payload);
      } catch {
        throw toRefusal(new AppError('invalid-message', 'The update is not a valid Yjs update'));
      }
      const userId = context.user?.userId ?? null;
      const receivedAt = clock.now();
      // Delivered now, acknowledged once durable. Applying here (with the origin Hocuspocus
      // would use) broadcasts the edit to the other writers without waiting for the commit;
      // Hocuspocus applies it again after this hook, a no-op, and only then sends the ack. A
      // crash before the commit loses nothing acknowledged: the sender re-sends its unacked
      // change, and everyone who received it holds it too. Applied before it is queued so that
      // its log record carries the writer's words (the word journal), durable with the update.
      let words: RecordWords | undefined;
      if (deps.durableAck) {
        try {
          words = applyJournaled(document, payload, { source: 'connection', connection });
        } catch {
          throw toRefusal(new AppError('invalid-message', 'The update could not be applied'));
        }
      }
      const logged = append(documentName, payload, userId, words, receivedAt);
      if (!deps.durableAck) {
        logged.catch((error) => logger.error({ err: error, document: documentName }, 'update log append failed'));
        return;
      }
      try {
        await logged;
      } catch (error) {
        logger.error({ err: error, document: documentName }, 'update log append failed; closing without ack');
        // The update is already applied (delivered first): refuse syncs until a snapshot
        // stores it (onStoreDocument runs for the change and retries until it lands).
        const state = stateOf(documentName);
        state.undurable = true;
        state.failures++;
        if (words && userId !== null) state.unjournaled.push({ userId, words, receivedAt });
        // No ack: the provider keeps the change and re-sends it after reconnecting.
        // The socket is closed 4503 `storage-unavailable` (close-codes.ts says why not the document alone).
        throw refuseForStorage(context, 'The update could not be stored; reconnect to retry');
      }
    },

    onChange: safeHook(logger, 'persistence.onChange', ({ transactionOrigin, update, documentName }: onChangePayload<CollabContext>) => {
      // Server-side edits (DirectConnection, origin "local") did not pass through beforeSync.
      if (!isTransactionOrigin(transactionOrigin) || transactionOrigin.source !== 'local') return;
      const state = stateOf(documentName);
      // A LiveDocuments edit (restore, import) names its actor in the connection's context.
      const actor = (transactionOrigin.context as CollabContext | undefined)?.liveEdit?.userId ?? null;
      append(documentName, update, actor).catch((error) => {
        logger.error({ err: error, document: documentName }, 'logging a server-side update failed; will retry');
        state.unlogged.push(update);
      });
    }),

    async onStoreDocument({ document, documentName, clientsCount, instance }: onStoreDocumentPayload<CollabContext>) {
      const state = stateOf(documentName);
      const due = clientsCount === 0 || state.pending.length >= deps.compactAfterUpdates || state.unlogged.length > 0 || state.unjournaled.length > 0 || state.undurable;
      if (!due) return;
      try {
        await compact(document, documentName);
      } catch (error) {
        logger.warn({ err: error, document: documentName }, 'snapshot failed; retrying with backoff');
        scheduleRetry(instance, document, documentName);
        throw error;
      }
    },

    async beforeUnloadDocument({ documentName, document, instance }) {
      const state = docs.get(documentName);
      if (!state) return;
      await Promise.allSettled([...state.inflight]);
      if (state.unlogged.length > 0 || state.unjournaled.length > 0 || state.retryTimer || state.undurable) {
        // Throwing keeps the document in memory: its changes are not all stored yet.
        throw new Error(`document ${documentName} has unstored changes`);
      }
      // The last-leave compaction can be skipped: when the debounced store happens to run just
      // before the last writer's close arrives, it still counts that writer, and Hocuspocus then
      // unloads without another store. Fold what is left here, so a closed document's log is empty.
      if (state.pending.length === 0) return;
      try {
        await compact(document, documentName);
      } catch (error) {
        logger.warn({ err: error, document: documentName }, 'snapshot before unload failed; retrying with backoff');
        scheduleRetry(instance, document as Y.Doc & { name: string }, documentName);
        throw error;
      }
    },

    async afterUnloadDocument({ documentName }) {
      const state = docs.get(documentName);
      if (state?.retryTimer) clearTimeout(state.retryTimer);
      docs.delete(documentName);
    },
  };

  return {
    extension,
    report() {
      let undurableDocuments = 0;
      let pendingAppends = 0;
      for (const state of docs.values()) {
        if (state.undurable) undurableDocuments++;
        pendingAppends += state.inflight.size;
      }
      return { ...health.state(), undurableDocuments, pendingAppends, documents: docs.size };
    },
    status(name) {
      const state = docs.get(name);
      return state && { pending: state.pending.length, retrying: state.retryTimer !== undefined, unlogged: state.unlogged.length };
    },
    async settled(name) {
      // Hocuspocus runs onChange through a promise chain of every extension's hook (all
      // synchronous): one macrotask later this extension has started the append.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const state = docs.get(name);
      if (!state) return;
      await Promise.allSettled([...state.inflight]);
      if (state.unlogged.length > 0) throw new AppError('service-unavailable', `The change to ${name} is not stored yet; it is retried`);
    },
    async flushAll(documents) {
      const failures: unknown[] = [];
      for (const document of documents) {
        try {
          await compact(document, document.name);
        } catch (error) {
          failures.push(error);
          const undurable = docs.get(document.name)?.undurable ?? false;
          logger.error(
            { err: error, document: document.name, undurable },
            undurable
              ? 'final snapshot failed; every acknowledged change is in the update log, unacknowledged ones stay with their writers'
              : 'final snapshot failed; the update log still has every change',
          );
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} documents were not compacted`);
    },
  };
}

/**
 * Applies a client's update in one transaction marked JOURNAL_WORDS and returns the words the
 * document tap counted for its writer (undefined when the tap is off, the update changed no
 * counted text, or it has no writer). The tap marks that transaction's DocumentEdit
 * `wordsJournaled`, so the writing service leaves these words to the journal.
 */
function applyJournaled(document: Y.Doc, update: Uint8Array, origin: unknown): RecordWords | undefined {
  let transaction: Y.Transaction | undefined;
  document.transact((tr) => {
    transaction = tr;
    tr.meta.set(JOURNAL_WORDS, true);
    Y.applyUpdate(document, update, origin);
  }, origin);
  const edit = transaction?.meta.get(DOCUMENT_EDIT) as DocumentEdit | undefined;
  if (edit?.wordsJournaled !== true || edit.origin !== 'connection' || edit.userId === null || edit.words === null) return undefined;
  return { added: edit.words.wordsAdded, removed: edit.words.wordsRemoved, net: edit.words.netWords };
}
