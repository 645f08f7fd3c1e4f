import { mkdir, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { LoggedUpdate, UpdateRecord } from '../document-store.js';
import { decodeHeader, decodeSegment, encodeBatch, type LogEntry, type UpdateEntry } from './codec.js';
import { createLiveIndex, toEntry } from './live-index.js';
import { createSegment as createSegmentFile, SEGMENT_NAME, syncDir as syncFolder, writeDurably, type Active, type Segment } from './segment-files.js';

export interface FileUpdateLogOptions {
  /** The folder of segment files (`<DATA_DIR>/update-log`); created if missing. */
  dir: string;
  /** A segment is sealed and a new one started once it holds this many bytes. */
  maxSegmentBytes: number;
  logger: Logger;
  /**
   * Log rows to take over on open (an older data directory's `document_updates`): kept under
   * their own seqs; a seq already in the files is skipped, so taking them over twice is harmless.
   */
  legacy?: readonly (LoggedUpdate & { documentName: string })[];
}

export interface FileUpdateLog {
  /** Appends one batch; resolves with its seqs once the batch is on disk (O_DSYNC write). */
  append(records: readonly UpdateRecord[]): Promise<number[]>;
  /** The document's live updates in seq order (a fresh array; the bytes are shared). */
  updates(documentName: string): LoggedUpdate[];
  count(documentName: string): number;
  /** Updates not durably folded that carry a writer's words, in seq order (the word journal's replay). */
  wordEntries(): (LoggedUpdate & { documentName: string })[];
  /**
   * Hides the named seqs of this document at once (they are in a stored snapshot). The fold is
   * written to disk, and the segments it frees deleted, only by the next `reclaim`, after the
   * snapshot is proven on disk; until then a crash brings them back, which is harmless.
   */
  fold(documentName: string, seqs: readonly number[]): void;
  /** Removes every update of the document, durably, now. */
  deleteDocument(documentName: string): Promise<void>;
  /**
   * Makes the pending folds durable: `checkpoint` must resolve only once every snapshot stored
   * so far is on disk. Runs after any reclaim already in progress, so it covers every fold made
   * before the call. Then deletes the segments nothing live is left in, copying the oldest
   * sealed segment's live updates forward first so one idle document cannot pin the log.
   */
  reclaim(checkpoint: () => Promise<void>): Promise<void>;
  /** Segment files currently on disk, oldest first (tests and metrics). */
  segments(): string[];
  /** Writes what is queued, then closes the active segment. Idempotent. */
  close(): Promise<void>;
}

interface QueuedBatch {
  /** Written back to back; each is all-or-nothing on recovery. */
  batches: LogEntry[][];
  resolve(segment: Segment): void;
  reject(error: unknown): void;
}

/**
 * The update log of the embedded (PGlite) mode, in append-only segment files: the hot path of
 * every keystroke is one durable (O_DSYNC) write per group of batches, with no WebAssembly
 * database on it. Live (unfolded) updates are also held in memory: they are what a document
 * load needs, and compaction keeps them few.
 *
 * Failure rule: any write (or sync) error rejects every batch of that write (so nothing is
 * acknowledged) and poisons the segment: after a failed fsync the file's state is unknown, so it
 * is never written again and the next write starts a new segment.
 */
export async function openFileUpdateLog(options: FileUpdateLogOptions): Promise<FileUpdateLog> {
  const { dir, maxSegmentBytes } = options;
  const logger = options.logger.child({ module: 'update-log' });
  await mkdir(dir, { recursive: true });

  const live = createLiveIndex();
  const { remember, forget, hide } = live;
  let pendingFolds: number[] = [];
  const sealed: Segment[] = [];
  let active: Active | undefined;
  let nextSeq = 1;
  let nextIndex = 1;
  /** Where replayed updates sit until the rewrite below places them in the fresh segment. */
  const placeholder: Segment = { index: 0, path: '', live: 0 };

  const createSegment = (): Promise<Active> => createSegmentFile(dir, nextIndex++, nextSeq);
  const syncDir = (): Promise<void> => syncFolder(dir);

  // --- Recovery: replay every segment in order, truncating torn tails. ---
  const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
  const old: string[] = [];
  const folded = new Set<number>();
  for (const name of names) {
    const path = join(dir, name);
    old.push(path);
    nextIndex = Math.max(nextIndex, Number(SEGMENT_NAME.exec(name)![1]) + 1);
    const file = await readFile(path);
    const baseSeq = decodeHeader(file);
    if (baseSeq === undefined) {
      logger.warn({ segment: name, bytes: file.byteLength }, 'update log segment without a valid header (torn at creation): ignored');
      continue;
    }
    nextSeq = Math.max(nextSeq, baseSeq);
    const decoded = decodeSegment(file);
    if (decoded.tornTail) {
      logger.warn({ segment: name, reason: decoded.tornTail, droppedBytes: file.byteLength - decoded.validBytes }, 'update log: torn tail truncated');
      await truncate(path, decoded.validBytes).catch((error: unknown) => logger.warn({ err: errorMessage(error), segment: name }, 'truncating a torn tail failed'));
    }
    for (const entry of decoded.batches.flat()) {
      if (entry.kind === 'fold') {
        for (const seq of entry.seqs) {
          folded.add(seq);
          forget(seq);
        }
      } else if (!folded.has(entry.seq) && !live.has(entry.seq)) {
        remember({ ...entry, segment: placeholder });
        nextSeq = Math.max(nextSeq, entry.seq + 1);
      }
    }
  }
  let adopted = 0;
  for (const row of options.legacy ?? []) {
    nextSeq = Math.max(nextSeq, row.seq + 1);
    if (folded.has(row.seq) || live.has(row.seq)) continue;
    remember({ kind: 'update', ...row, segment: placeholder });
    adopted++;
  }

  // Everything live goes into one fresh segment, then the old files go: the log starts compact.
  active = await createSegment();
  const carried = [...live.all()].sort((a, b) => a.seq - b.seq);
  if (carried.length > 0) {
    // One batch per update: each was durable on its own, and a damaged one must not take the rest.
    await writeDurably(active, Buffer.concat(carried.map((e) => encodeBatch([toEntry(e)]))));
  }
  for (const entry of carried) entry.segment = active;
  active.live = carried.length;
  for (const path of old) await rm(path, { force: true });
  await syncDir();
  logger.info({ dir, live: carried.length, documents: live.documents(), adopted, replayedSegments: names.length, nextSeq }, 'update log opened');

  // --- The write queue: one durable write in flight; batches queued meanwhile share the next. ---
  let queue: QueuedBatch[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;
  /** Reclaims run one after another; each starts after the previous one ended. */
  let reclaiming: Promise<void> = Promise.resolve();

  function enqueue(batches: LogEntry[][]): Promise<Segment> {
    if (closed) return Promise.reject(new Error('the update log is closed'));
    const done = new Promise<Segment>((resolve, reject) => queue.push({ batches, resolve, reject }));
    writing ??= drain();
    return done;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue;
      queue = [];
      try {
        const target = await writable();
        await writeDurably(target, Buffer.concat(group.flatMap((b) => b.batches.map(encodeBatch))));
        for (const b of group) b.resolve(target);
      } catch (error) {
        poison(error);
        for (const b of group) b.reject(error);
      }
    }
    writing = undefined;
  }

  /** The segment to write to: the active one, unless it is full or poisoned. */
  async function writable(): Promise<Active> {
    if (active && active.size >= maxSegmentBytes) {
      const full = active;
      active = undefined;
      sealed.push(full);
      await full.handle.close().catch(() => undefined);
    }
    active ??= await createSegment();
    return active;
  }

  function poison(error: unknown): void {
    if (!active) return;
    const bad = active;
    active = undefined;
    sealed.push(bad);
    logger.error({ err: errorMessage(error), segment: bad.path }, 'update log write failed; segment poisoned, the next write starts a new one');
    void bad.handle.close().catch(() => undefined);
  }

  function allocate(records: readonly UpdateRecord[]): UpdateEntry[] {
    return records.map((r) => ({ kind: 'update', seq: nextSeq++, documentName: r.documentName, update: r.update, userId: r.userId, receivedAt: r.receivedAt, ...(r.words ? { words: r.words } : {}) }));
  }

  async function deleteSealed(): Promise<void> {
    let removed = 0;
    while (sealed.length > 0 && sealed[0]!.live === 0) {
      await rm(sealed.shift()!.path, { force: true });
      removed++;
    }
    if (removed > 0) await syncDir();
  }

  async function reclaimOnce(checkpoint: () => Promise<void>): Promise<void> {
    const folds = pendingFolds;
    pendingFolds = [];
    if (folds.length > 0) {
      try {
        await checkpoint();
        await enqueue([[{ kind: 'fold', seqs: folds }]]);
      } catch (error) {
        pendingFolds = folds.concat(pendingFolds);
        throw error;
      }
      for (const seq of folds) forget(seq);
    }
    // The oldest sealed segment still holds live updates while newer ones exist: copy them
    // forward (same seqs; replay keeps the first copy) so it can go.
    const oldest = sealed[0];
    if (oldest && oldest.live > 0 && sealed.length >= 2) {
      const moving = [...live.all()].filter((e) => e.segment === oldest).sort((a, b) => a.seq - b.seq);
      const target = await enqueue(moving.map((e) => [toEntry(e)]));
      for (const entry of moving) {
        if (live.get(entry.seq) !== entry) continue;
        entry.segment.live--;
        entry.segment = target;
        target.live++;
      }
    }
    await deleteSealed();
  }

  return {
    async append(records) {
      if (records.length === 0) return [];
      const entries = allocate(records);
      await enqueue([entries]).then((segment) => {
        for (const entry of entries) {
          remember({ ...entry, segment });
          segment.live++;
        }
      });
      return entries.map((e) => e.seq);
    },
    updates: live.updates,
    count: live.count,
    wordEntries() {
      const out: (LoggedUpdate & { documentName: string })[] = [];
      for (const e of live.all()) if (e.words) out.push({ seq: e.seq, documentName: e.documentName, update: e.update, userId: e.userId, receivedAt: e.receivedAt, words: e.words });
      return out.sort((a, b) => a.seq - b.seq);
    },
    fold(documentName, seqs) {
      for (const seq of seqs) {
        const entry = live.visible(documentName, seq);
        if (!entry) continue;
        hide(entry);
        pendingFolds.push(seq);
      }
    },
    async deleteDocument(documentName) {
      const seqs = [...live.all()].filter((e) => e.documentName === documentName).map((e) => e.seq);
      for (const seq of seqs) hide(live.get(seq)!);
      if (seqs.length === 0) return;
      await enqueue([[{ kind: 'fold', seqs }]]);
      for (const seq of seqs) forget(seq);
      pendingFolds = pendingFolds.filter((s) => live.has(s));
    },
    reclaim(checkpoint) {
      const run = reclaiming.catch(() => undefined).then(() => reclaimOnce(checkpoint));
      reclaiming = run;
      return run;
    },
    segments: () => [...sealed.map((s) => s.path), ...(active ? [active.path] : [])],
    async close() {
      if (closed) return;
      await reclaiming.catch(() => undefined);
      closed = true;
      await writing;
      await active?.handle.close();
      logger.info({ live: live.size(), pendingFolds: pendingFolds.length }, 'update log closed');
    },
  };
}

