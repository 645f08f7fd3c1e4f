import type { Extension, beforeSyncPayload, onChangePayload, onLoadDocumentPayload, onStoreDocumentPayload } from '@hocuspocus/server';
import { isTransactionOrigin } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { DocumentStore, RecordWords, WordRange } from '../../db/document-store.js';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { DOCUMENT_EDIT, JOURNAL_WORDS, type DocumentEdit } from '../../tracking/document-edit.js';
import { refuseForStorage, toRefusal } from '../close-codes.js';
import type { CollabContext } from '../context.js';
import { createPersistenceHealth, type PersistenceHealth } from '../persistence-health.js';
import { safeHook } from '../safe-hook.js';
import { updateMetaOf } from '../update-meta.js';
import { createAckGate } from './ack-gate.js';
import { createCompactor, type DocState, type LoadedDoc } from './compaction.js';
import type { PersistenceExtension } from './persistence-types.js';
import { createOutboxes, type PendingLimits, type UpdateAppender } from './update-outbox.js';

export type { PersistenceExtension, PersistenceReport, PersistenceStatus } from './persistence-types.js';
export type { PendingLimits, UpdateAppender } from './update-outbox.js';

/** y-protocols sync message types (beforeSync's `type`). */
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;
/** Origin of updates applied while loading from storage; never logged again. */
export const LOAD_ORIGIN = Symbol('storyloom-load');

/**
 * Snapshot + append-only update log. The log is the truth for anything newer than the snapshot:
 *
 * - A client's update is applied in `beforeSync` (so Hocuspocus broadcasts it to the other
 *   writers at once) and queued for the log (group commit, through the outbox). Its
 *   acknowledgement waits until the log rows up to it are committed (`durableAck`, the ack gate),
 *   so an acknowledged update is always on disk, whatever happens to the process next.
 * - While the store refuses writes, the document stays live: updates keep being applied and
 *   delivered, their rows are retried with backoff and commit in order when the store returns,
 *   and only then are the writers acknowledged. A crash meanwhile loses nothing acknowledged: the
 *   writers still hold their unacknowledged changes and re-send them on reconnect. Past a bound
 *   on what waits (`PendingLimits`) a change is refused with 4503 instead, so memory stays bounded.
 * - Compaction (compaction.ts; on Hocuspocus's debounced store, when enough rows piled up, when
 *   the last client leaves, on shutdown) folds only rows the snapshot provably holds.
 * - Updates from another instance (origin `redis`) were logged by that instance: not again here.
 */
export function createPersistenceExtension(deps: {
  store: DocumentStore;
  appender: UpdateAppender;
  clock: Clock;
  logger: Logger;
  compactAfterUpdates: number;
  durableAck: boolean;
  pendingLimits: PendingLimits;
  /** Told how many stored bytes each load read (the limits extension's starting size). */
  onLoaded?: (documentName: string, bytes: number) => void;
  /** Told every write's outcome; created here when not given. */
  health?: PersistenceHealth;
}): PersistenceExtension {
  const { store, clock, logger } = deps;
  const health = deps.health ?? createPersistenceHealth(clock);
  const outboxes = createOutboxes({ appender: deps.appender, health, logger, limits: deps.pendingLimits });
  const compactor = createCompactor({ store, health, logger });
  const gate = createAckGate();
  const docs = new Map<string, DocState>();
  /** Documents whose writers are being refused for the bound (logged once per spell). */
  const overBound = new Set<string>();

  const stateOf = (name: string): DocState => {
    const state = docs.get(name);
    if (state) return state;
    const created: DocState = {
      pending: [],
      outbox: outboxes.open(name, (seq, update) => {
        created.pending.push({ seq, update });
        // Rows commit after Hocuspocus's debounced store may have looked (acks no longer hold
        // up the next update), so the row that makes compaction due starts it.
        if (created.pending.length === deps.compactAfterUpdates) compactNow(name, created);
        if (created.outbox.size() === 0) whenStored(name, created);
      }),
      retryTimer: undefined,
      retryAttempt: 0,
    };
    docs.set(name, created);
    return created;
  };

  function compactNow(name: string, state: DocState): void {
    const loaded = state.loaded;
    if (!loaded) return;
    compactor.compact(loaded.document, name, state).catch((error: unknown) => {
      logger.warn({ err: error, document: name }, 'snapshot failed; retrying with backoff');
      compactor.scheduleRetry(loaded.instance, loaded.document, name, state);
    });
  }

  /**
   * The document's last unstored row just committed. If it held records through a failure, the
   * store is back: a waiting snapshot retry runs soon (readiness returns with it), and a document
   * its writers left may unload now.
   */
  function whenStored(name: string, state: DocState): void {
    if (!state.retryTimer || !state.loaded) return;
    compactor.scheduleRetry(state.loaded.instance, state.loaded.document, name, state, true);
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
      state.loaded = { instance, document: document as LoadedDoc };
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
      const state = stateOf(documentName);
      // An empty v1 update (no structs, no deletes): nothing to log. But an empty step 2 is how a
      // reconnecting writer says "you hold all I have": its changes may be applied here and not
      // committed yet, so its acknowledgement waits for the rows queued so far.
      if (payload.byteLength <= 2 && payload.every((b) => b === 0)) {
        if (deps.durableAck && type === SYNC_STEP_2) gate.holdNext(connection, state.outbox.drained());
        return;
      }
      try {
        updateMetaOf(payload);
      } catch {
        throw toRefusal(new AppError('invalid-message', 'The update is not a valid Yjs update'));
      }
      if (!state.outbox.admits(payload.byteLength)) {
        // Refused before it is applied: the writer keeps it and re-sends it after reconnecting.
        if (!overBound.has(documentName)) logger.warn({ document: documentName, waiting: state.outbox.size(), ...outboxes.totals() }, 'too many updates wait for storage; refusing changes (4503)');
        overBound.add(documentName);
        throw refuseForStorage(context, 'Too many changes wait for storage; reconnect to retry');
      }
      overBound.delete(documentName);
      const userId = context.user?.userId ?? null;
      const receivedAt = clock.now();
      // Delivered now, acknowledged once durable. Applying here (with the origin Hocuspocus
      // would use) broadcasts the edit to the other writers without waiting for the commit;
      // Hocuspocus applies it again after this hook, a no-op, and then sends the ack, which the
      // gate holds until the row is committed. Applied before it is queued so that its log
      // record carries the writer's words (the word journal), durable with the update.
      let journaled: Journaled | undefined;
      if (deps.durableAck) {
        try {
          journaled = applyJournaled(document, payload, { source: 'connection', connection });
        } catch {
          throw toRefusal(new AppError('invalid-message', 'The update could not be applied'));
        }
      }
      const words = journaled?.words;
      const ranges = journaled?.ranges !== undefined ? { wordRanges: journaled.ranges } : {};
      state.outbox.enqueue({ documentName, update: payload, userId, receivedAt, ...(words ? { words, ...ranges } : {}) });
      // Everything queued so far, not only this row: what this writer saw (and built on) was
      // applied here before it, possibly by another writer, and must be as durable as its ack.
      if (deps.durableAck) gate.holdNext(connection, state.outbox.drained());
    },

    onChange: safeHook(logger, 'persistence.onChange', ({ transactionOrigin, update, documentName }: onChangePayload<CollabContext>) => {
      // Server-side edits (DirectConnection, origin "local") did not pass through beforeSync.
      // They are applied already, so they are queued whatever the bound (retried like the rest).
      if (!isTransactionOrigin(transactionOrigin) || transactionOrigin.source !== 'local') return;
      // A LiveDocuments edit (restore, import) names its actor in the connection's context.
      const actor = (transactionOrigin.context as CollabContext | undefined)?.liveEdit?.userId ?? null;
      stateOf(documentName).outbox.enqueue({ documentName, update, userId: actor, receivedAt: clock.now() });
    }),

    async onStoreDocument({ document, documentName, clientsCount, instance }: onStoreDocumentPayload<CollabContext>) {
      const state = stateOf(documentName);
      const due = clientsCount === 0 || state.pending.length >= deps.compactAfterUpdates;
      if (!due) return;
      try {
        await compactor.compact(document, documentName, state);
      } catch (error) {
        logger.warn({ err: error, document: documentName }, 'snapshot failed; retrying with backoff');
        compactor.scheduleRetry(instance, document as LoadedDoc, documentName, state);
        throw error;
      }
    },

    async beforeUnloadDocument({ documentName, document, instance }) {
      const state = docs.get(documentName);
      if (!state) return;
      await state.outbox.idle();
      if (state.outbox.size() > 0 || state.retryTimer) {
        // Throwing keeps the document in memory: its changes are not all stored yet. The outbox
        // retries them; once the last one commits, whenStored() lets the document unload.
        if (!state.retryTimer) compactor.scheduleRetry(instance, document as LoadedDoc, documentName, state);
        throw new Error(`document ${documentName} has unstored changes`);
      }
      // The last-leave compaction can be skipped: when the debounced store happens to run just
      // before the last writer's close arrives, it still counts that writer, and Hocuspocus then
      // unloads without another store. Fold what is left here, so a closed document's log is empty.
      if (state.pending.length === 0) return;
      try {
        await compactor.compact(document, documentName, state);
      } catch (error) {
        logger.warn({ err: error, document: documentName }, 'snapshot before unload failed; retrying with backoff');
        compactor.scheduleRetry(instance, document as LoadedDoc, documentName, state);
        throw error;
      }
    },

    async afterUnloadDocument({ documentName }) {
      const state = docs.get(documentName);
      if (state?.retryTimer) clearTimeout(state.retryTimer);
      state?.outbox.close();
      overBound.delete(documentName);
      docs.delete(documentName);
    },
  };

  return {
    extension,
    report() {
      const totals = outboxes.totals();
      return { ...health.state(), undurableDocuments: totals.retryingDocuments, pendingAppends: totals.updates, pendingBytes: totals.bytes, documents: docs.size };
    },
    status(name) {
      const state = docs.get(name);
      return state && { pending: state.pending.length, retrying: state.retryTimer !== undefined || state.outbox.retrying(), unstored: state.outbox.size() };
    },
    async settled(name) {
      // Hocuspocus runs onChange through a promise chain of every extension's hook (all
      // synchronous): one macrotask later this extension has queued the record.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const state = docs.get(name);
      if (!state) return;
      await state.outbox.idle();
      // Retrying, not merely non-empty: a writer's next update may be queued by now.
      if (state.outbox.retrying()) throw new AppError('service-unavailable', `The change to ${name} is not stored yet; it is retried`);
    },
    async flushAll(documents) {
      const failures: unknown[] = [];
      for (const document of documents) {
        const state = stateOf(document.name);
        try {
          await compactor.compact(document, document.name, state);
        } catch (error) {
          failures.push(error);
          const unstored = state.outbox.size();
          logger.error(
            { err: error, document: document.name, unstored },
            unstored > 0
              ? 'final snapshot failed; every acknowledged change is in the update log, unacknowledged ones stay with their writers'
              : 'final snapshot failed; the update log still has every change',
          );
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} documents were not compacted`);
    },
  };
}

interface Journaled {
  words: RecordWords;
  /** DocumentEdit.insertedRanges (several instances). */
  ranges?: readonly WordRange[] | undefined;
}

/**
 * Applies a client's update in one transaction marked JOURNAL_WORDS and returns the words the
 * document tap counted for its writer (undefined when the tap is off, the update changed no
 * counted text, or it has no writer), with the ranges it inserted when the tap gives them. The tap
 * marks that transaction's DocumentEdit `wordsJournaled`, so the writing service leaves these
 * words to the journal.
 */
function applyJournaled(document: Y.Doc, update: Uint8Array, origin: unknown): Journaled | undefined {
  let transaction: Y.Transaction | undefined;
  document.transact((tr) => {
    transaction = tr;
    tr.meta.set(JOURNAL_WORDS, true);
    Y.applyUpdate(document, update, origin);
  }, origin);
  const edit = transaction?.meta.get(DOCUMENT_EDIT) as DocumentEdit | undefined;
  if (edit?.wordsJournaled !== true || edit.origin !== 'connection' || edit.userId === null || edit.words === null) return undefined;
  return { words: { added: edit.words.wordsAdded, removed: edit.words.wordsRemoved, net: edit.words.netWords }, ranges: edit.insertedRanges };
}
