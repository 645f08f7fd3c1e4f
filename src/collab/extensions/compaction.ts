import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { DocumentStore } from '../../db/document-store.js';
import { backoffDelay } from '../../lib/backoff.js';
import type { Logger } from '../../lib/logger.js';
import type { PersistenceHealth } from '../persistence-health.js';
import type { DocumentOutbox } from './update-outbox.js';

/** Failed compaction retries: ceilings 1 s, 2 s .. 60 s. */
const COMPACTION_RETRY = { baseMs: 1_000, maxMs: 60_000 };
/** While the log is failing too, retry snapshots soon: readiness returns with the first that lands. */
const STORE_DOWN_RETRY = { baseMs: 250, maxMs: 2_000 };

export type LoadedDoc = Y.Doc & { name: string };

/** What the persistence extension keeps per loaded document. */
export interface DocState {
  /** Committed log rows not yet folded into the snapshot (with their bytes, to prove containment). */
  pending: { seq: number; update: Uint8Array }[];
  /** Records applied here and not committed yet (retried while the store refuses them). */
  outbox: DocumentOutbox;
  retryTimer: NodeJS.Timeout | undefined;
  retryAttempt: number;
  /** The loaded document and its Hocuspocus, for a retry scheduled outside a store hook. */
  loaded?: { instance: Hocuspocus; document: LoadedDoc };
}

export interface Compactor {
  /** Writes a snapshot and deletes the log rows it provably holds. Throws when the store refuses. */
  compact(document: Y.Doc, name: string, state: DocState): Promise<void>;
  /** Retries a failed compaction with backoff until it lands, then lets the document unload. */
  scheduleRetry(instance: Hocuspocus, document: LoadedDoc, name: string, state: DocState, soon?: boolean): void;
}

/**
 * Compaction: the log is the truth for anything newer than the snapshot, so a snapshot deletes
 * only the rows `Y.snapshotContainsUpdate` proves it holds (a row logged but not yet applied can
 * never be folded away). Records still in the outbox are not rows yet: a snapshot may hold them
 * too (harmless, their rows are folded by a later compaction).
 */
export function createCompactor(deps: { store: DocumentStore; health: PersistenceHealth; logger: Logger }): Compactor {
  const { store, health, logger } = deps;

  async function compact(document: Y.Doc, name: string, state: DocState): Promise<void> {
    // Rows committing right now are folded by the next compaction, not lost by this one.
    await state.outbox.idle();
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
  }

  /**
   * Exponential backoff with full jitter (lib/backoff.ts); `soon` restarts the schedule (the
   * store just took a write again). A document whose outbox still holds records stays pinned:
   * Hocuspocus only unloads after a successful store, and our beforeUnloadDocument refuses.
   */
  function scheduleRetry(instance: Hocuspocus, document: LoadedDoc, name: string, state: DocState, soon = false): void {
    if (soon && state.retryTimer) {
      clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
      state.retryAttempt = 0;
    }
    if (state.retryTimer) return;
    const storeDown = health.failing('append') || state.outbox.retrying();
    const delay = backoffDelay(state.retryAttempt, storeDown || soon ? STORE_DOWN_RETRY : COMPACTION_RETRY);
    state.retryAttempt++;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      compact(document, name, state).then(
        () => {
          const loaded = instance.documents.get(name);
          if (loaded && instance.shouldUnloadDocument(loaded)) void instance.unloadDocument(loaded);
        },
        (error) => {
          logger.warn({ err: error, document: name, attempt: state.retryAttempt }, 'snapshot retry failed');
          scheduleRetry(instance, document, name, state);
        },
      );
    }, delay);
    state.retryTimer.unref();
  }

  return { compact, scheduleRetry };
}
