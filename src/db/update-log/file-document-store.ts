import type { DocumentStore, UpdateRecord } from '../document-store.js';
import { splitDocumentName } from '../repositories/documents.js';
import type { FileUpdateLog } from './file-log.js';

export interface FileLoggedStoreOptions {
  /** The SQL store: snapshots live there (its own log table stays empty in this mode). */
  snapshots: DocumentStore;
  log: FileUpdateLog;
  /** Resolves once everything PGlite committed so far is on disk (a CHECKPOINT). */
  checkpoint(): Promise<void>;
  /** How often pending folds are made durable and dead segments deleted. */
  reclaimIntervalMs: number;
  onReclaimError(error: unknown): void;
}

export interface FileLoggedStore extends DocumentStore {
  /** Makes pending folds durable and deletes dead segments now (tests; close does it too). */
  reclaim(): Promise<void>;
  /** Final reclaim, then closes the log. Call before the SQL database closes. */
  close(): Promise<void>;
}

/**
 * The DocumentStore of the embedded mode: snapshots in PGlite, the update log in segment files
 * (src/db/update-log/file-log.ts). Same contract as the SQL store
 * (tests/contracts/document-store.contract.ts), including its input checks.
 *
 * Order matters twice. `load` reads the log before the snapshot: a compaction in between then
 * yields the new snapshot plus some already-folded updates (a no-op to apply) rather than the
 * old snapshot without them. And a fold only reaches the disk after a CHECKPOINT has put the
 * snapshot that contains it on disk: PGlite has acknowledged commits that a restart did not
 * find (docs/reliability.md, full disk), and a durable fold over a lost snapshot would lose edits.
 */
export function createFileLoggedStore(options: FileLoggedStoreOptions): FileLoggedStore {
  const { snapshots, log, checkpoint } = options;
  const reclaim = (): Promise<void> => log.reclaim(checkpoint);
  let periodic: Promise<void> | undefined;
  const timer = setInterval(() => {
    // Never queue a second periodic pass behind a slow checkpoint.
    periodic ??= reclaim()
      .catch(options.onReclaimError)
      .finally(() => (periodic = undefined));
  }, options.reclaimIntervalMs);
  timer.unref();
  let closing: Promise<void> | undefined;

  return {
    async load(documentName) {
      const updates = log.updates(documentName);
      const { snapshot } = await snapshots.load(documentName);
      return { snapshot, updates };
    },
    async appendUpdates(records: UpdateRecord[]) {
      for (const r of records) {
        splitDocumentName(r.documentName);
        // The SQL store refuses these too (text cannot hold NUL): one contract for every mode.
        if (r.userId?.includes('\u0000')) throw new Error('appendUpdates failed: invalid byte sequence for encoding "UTF8": 0x00 in userId');
      }
      return log.append(records);
    },
    async storeSnapshot(documentName, snapshot, foldedSeqs) {
      await snapshots.storeSnapshot(documentName, snapshot, []);
      log.fold(documentName, foldedSeqs);
    },
    async countUpdates(documentName) {
      return log.count(documentName);
    },
    async deleteDocument(documentName) {
      await snapshots.deleteDocument(documentName);
      await log.deleteDocument(documentName);
    },
    reclaim,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        // A failed final reclaim loses nothing: the folds stay undone and replay brings those
        // updates back (already in their snapshots). So it is reported, not thrown.
        await reclaim().catch(options.onReclaimError);
        await log.close();
      })();
      return closing;
    },
  };
}
