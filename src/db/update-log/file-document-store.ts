import type { DocumentStore, UpdateRecord } from '../document-store.js';
import { splitDocumentName } from '../repositories/documents.js';
import type { FileUpdateLog } from './file-log.js';
import type { JournalEntry, WordJournalWriter } from '../repositories/word-journal.js';

export interface FileLoggedStoreOptions {
  /**
   * The SQL store: snapshots live there (its own log table stays empty in this mode), and the
   * word journal when it can keep one (the drizzle repository can).
   */
  snapshots: DocumentStore & Partial<WordJournalWriter>;
  log: FileUpdateLog;
  /**
   * The document's stored snapshot in one statement. Without it `snapshots.load` is used: a
   * read-only transaction that also reads the SQL log table, always empty in this mode (five
   * round trips to the PGlite worker instead of one, for each document a connect burst opens).
   */
  loadSnapshot?(documentName: string): Promise<Uint8Array | null>;
  /** Resolves once everything PGlite committed so far is on disk (a CHECKPOINT). */
  checkpoint(): Promise<void>;
  /** How often pending folds are made durable and dead segments deleted. */
  reclaimIntervalMs: number;
  onReclaimError(error: unknown): void;
}

export interface FileLoggedStore extends DocumentStore {
  /** Makes pending folds durable and deletes dead segments now (tests; close does it too). */
  reclaim(): Promise<void>;
  /** Writes the journal rows of every word logged so far (the word journal's fold calls it first). */
  journalNow(): Promise<void>;
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
  /**
   * Logged words not yet known to be in the word journal: the records' words are durable in the
   * segment files (fdatasync before the ack), their journal rows in PGlite are written by the next
   * word-journal fold or reclaim, and, until that is known to have happened, again (idempotently,
   * under the seq) before any fold of theirs can become durable. After a restart every live record
   * is offered again.
   */
  const unjournaled = new Map<number, JournalEntry>();
  for (const e of log.wordEntries()) unjournaled.set(e.seq, e);
  async function journalPending(): Promise<void> {
    if (snapshots.recordWords === undefined || unjournaled.size === 0) return;
    const entries = [...unjournaled.values()];
    await snapshots.recordWords(entries);
    for (const e of entries) unjournaled.delete(e.seq);
  }
  /** The bound of the last prune that went through: the same bound again would delete nothing. */
  let prunedBelow: number | undefined;
  const reclaim = async (): Promise<void> => {
    // A fold may only become durable once its words are journaled: replay could not offer them again.
    await journalPending();
    await log.reclaim(checkpoint);
    // Counted rows whose records are durably gone are not needed to recognise a replay any more.
    // Only when that bound moved (a fold became durable): otherwise it is a DELETE of nothing in
    // the PGlite worker every interval, queued with the edits' own statements. (A row below the
    // same bound counted since the last prune is only kept until the bound moves again.)
    const below = log.wordEntries()[0]?.seq ?? Number.MAX_SAFE_INTEGER;
    if (snapshots.pruneCountedWords === undefined || below === prunedBelow) return;
    await snapshots.pruneCountedWords(below);
    prunedBelow = below;
  };
  /**
   * Journal rows are written in the background, never on the append's path: the words are
   * already durable in the segment record, so an edit costs no database round trip (issue 17,
   * lever 3). They are written in one insert right before each word-journal fold (the writing
   * service's flush, every 500 ms: src/db/client.ts wraps the fold with journalNow), which is the
   * only reader that needs them soon, and by each reclaim (every 10 s, also without tracking).
   * A separate 250 ms timer used to write them as well: twice the inserts, each queued in the
   * PGlite worker with the edits' claims and loads, for rows the next fold would write anyway.
   */
  journalPending().catch(options.onReclaimError);
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
      const snapshot = options.loadSnapshot ? await options.loadSnapshot(documentName) : (await snapshots.load(documentName)).snapshot;
      return { snapshot, updates };
    },
    async appendUpdates(records: UpdateRecord[]) {
      for (const r of records) {
        splitDocumentName(r.documentName);
        // The SQL store refuses these too (text cannot hold NUL): one contract for every mode.
        if (r.userId?.includes('\u0000')) throw new Error('appendUpdates failed: invalid byte sequence for encoding "UTF8": 0x00 in userId');
      }
      const seqs = await log.append(records);
      records.forEach((r, i) => {
        if (r.words === undefined || r.userId === null) return;
        // The journal's fields only: the update bytes are held by the log's live index already.
        unjournaled.set(seqs[i]!, { seq: seqs[i]!, documentName: r.documentName, userId: r.userId, receivedAt: r.receivedAt, words: r.words });
      });
      // The update is durable (and may be acknowledged) now; its journal row is written by the
      // next fold or reclaim (a failed write is retried by the one after), after a restart from the log.
      return seqs;
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
    journalNow: journalPending,
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
