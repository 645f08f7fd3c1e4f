import type { Extension } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type { CollabContext } from '../context.js';
import type { PersistenceHealthState } from '../persistence-health.js';

export interface PersistenceStatus {
  /** Committed log rows not yet folded into the snapshot. */
  pending: number;
  /** A failed snapshot or log append is waiting for its next attempt. */
  retrying: boolean;
  /** Updates applied here whose log rows are not committed yet (their acknowledgements wait). */
  unstored: number;
}

/** What `/readyz` and `/metrics` show of the document store's writes (src/collab/persistence-health.ts). */
export interface PersistenceReport extends PersistenceHealthState {
  /** Loaded documents whose log appends failed and are being retried (their writers' acks wait). */
  undurableDocuments: number;
  /** Updates applied and not yet committed to the log, over every document (queued, in flight or retried). */
  pendingAppends: number;
  /** Their bytes. */
  pendingBytes: number;
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
   * Resolves once every update of the document so far is in the log; rejects (service-unavailable)
   * while its appends fail and wait for a retry. For server-side edits that answer a request.
   */
  settled(documentName: string): Promise<void>;
  /** Waits for in-flight appends and compacts every loaded document: for graceful shutdown. */
  flushAll(documents: Iterable<Y.Doc & { name: string }>): Promise<void>;
}
