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
  /** Resolves once everything PGlite committed so far is on disk (a CHECKPOINT). */
  checkpoint(): Promise<void>;
  /** How often pending folds are made durable and dead segments deleted. */
  reclaimIntervalMs: number;
  /**
   * How long logged words may wait before their journal rows are written (one insert for every
   * append in the window). Default 250 ms.
   */
  journalDelayMs?: number;
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
   * segment files (fdatasync before the ack), their journal rows in PGlite are written right
   * after, and, until that is known to have happened, again (idempotently, under the seq) before
   * any fold of theirs can become durable. After a restart every live record is offered again.
   */
  const unjournaled = new Map<number, JournalEntry>();
  for (const e of log.wordEntries()) unjournaled.set(e.seq, e);
  async function journalPending(): Promise<void> {
    if (snapshots.recordWords === undefined || unjournaled.size === 0) return;
    const entries = [...unjournaled.values()];
    await snapshots.recordWords(entries);
    for (const e of entries) unjournaled.delete(e.seq);
  }
  const reclaim = async (): Promise<void> => {
    // A fold may only become durable once its words are journaled: replay could not offer them again.
    await journalPending();
    await log.reclaim(checkpoint);
    // Counted rows whose records are durably gone are not needed to recognise a replay any more.
    await snapshots.pruneCountedWords?.(log.wordEntries()[0]?.seq ?? Number.MAX_SAFE_INTEGER);
  };
  /**
   * Journal rows are written in the background, one insert per window, never on the append's
   * path: the words are already durable in the segment record, so an edit costs no database
   * round trip (issue 17, lever 3). Buckets learn them at the first flush after the window.
   */
  let journaling: Promise<void> | undefined;
  let journalTimer: NodeJS.Timeout | undefined;
  const journalSoon = (): void => {
    journalTimer ??= setTimeout(() => {
      journalTimer = undefined;
      // One pass at a time; a pass started meanwhile finds the entries already gone.
      journaling = (journaling ?? Promise.resolve()).then(journalPending).catch(options.onReclaimError);
    }, options.journalDelayMs ?? 250);
    journalTimer.unref();
  };
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
      const { snapshot } = await snapshots.load(documentName);
      return { snapshot, updates };
    },
    async appendUpdates(records: UpdateRecord[]) {
      for (const r of records) {
        splitDocumentName(r.documentName);
        // The SQL store refuses these too (text cannot hold NUL): one contract for every mode.
        if (r.userId?.includes('\u0000')) throw new Error('appendUpdates failed: invalid byte sequence for encoding "UTF8": 0x00 in userId');
      }
      const seqs = await log.append(records);
      let words = false;
      records.forEach((r, i) => {
        if (r.words === undefined || r.userId === null) return;
        unjournaled.set(seqs[i]!, { ...r, seq: seqs[i]! });
        words = true;
      });
      // The update is durable (and may be acknowledged) now: a failed journal write is retried
      // by the next window or reclaim, and after a restart from the log.
      if (words) journalSoon();
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
        clearTimeout(journalTimer);
        await journaling;
        // A failed final reclaim loses nothing: the folds stay undone and replay brings those
        // updates back (already in their snapshots). So it is reported, not thrown.
        await reclaim().catch(options.onReclaimError);
        await log.close();
      })();
      return closing;
    },
  };
}
