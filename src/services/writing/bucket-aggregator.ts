/**
 * Per-minute writing buckets are batched here, not written per edit: one addBuckets call per flush
 * keeps storage writes independent of typing speed, and a failed batch is merged back for the next.
 */
import type { Logger } from '../../lib/logger.js';
import type { WritingBucketDelta, WritingStore } from './ports.js';

const MINUTE = 60_000;
/** Minutes kept after their last change so late writing time still lands in whole seconds. */
const KEEP_MINUTES = 3;

interface Bucket {
  userId: string;
  projectId: string;
  documentId: string;
  minute: number;
  /** Not yet sent to storage. */
  wordsAdded: number;
  wordsRemoved: number;
  wordsNet: number;
  /** Writing time of the minute so far (all of it, sent or not) and the whole seconds already sent. */
  activeMs: number;
  sentSeconds: number;
}

export interface BucketAggregator {
  /** Adds an edit's words to the minute `at` falls in. */
  addWords(key: BucketKey, at: number, words: { added: number; removed: number; net: number }): void;
  /** Adds writing time [from, to) to the minutes it spans. */
  addWritingTime(key: BucketKey, from: number, to: number): void;
  /**
   * Sends everything pending in one `addBuckets` call. Flushes never overlap (a second caller
   * waits for the running one and then flushes what came in meanwhile); a failed batch is merged
   * back and retried by the next flush. Rejects only when storage failed.
   */
  flush(): Promise<void>;
  /** Deltas waiting for the next flush. */
  pending(): number;
}

export interface BucketKey {
  userId: string;
  projectId: string;
  documentId: string;
}

/**
 * Per-minute writing activity aggregated in memory between flushes: storage sees one row per
 * writer, document and minute per flush instead of one write per keystroke. Writing time is
 * summed in ms and sent as whole seconds (the column is an integer): each flush sends the
 * seconds completed since the last one, so a minute's seconds add up without rounding drift.
 */
export function createBucketAggregator(deps: {
  store: Pick<WritingStore, 'addBuckets' | 'foldWordJournal'>;
  logger: Logger;
  /**
   * The clock the writing model runs on: sent buckets older than KEEP_MINUTES before it are
   * dropped at a flush even when no new writing arrives (the newest minute seen alone kept the
   * last burst's buckets until someone wrote again).
   */
  now?: () => number;
}): BucketAggregator {
  const buckets = new Map<string, Bucket>();
  let latestMinute = 0;
  let running: Promise<void> | null = null;
  let dirty = 0;

  const bucketOf = (key: BucketKey, minute: number): Bucket => {
    const id = `${key.projectId}\u0000${key.userId}\u0000${key.documentId}\u0000${minute}`;
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = { ...key, minute, wordsAdded: 0, wordsRemoved: 0, wordsNet: 0, activeMs: 0, sentSeconds: 0 };
      buckets.set(id, bucket);
    }
    if (minute > latestMinute) latestMinute = minute;
    dirty++;
    return bucket;
  };

  async function flushOnce(): Promise<void> {
    const deltas: WritingBucketDelta[] = [];
    const sent: { bucket: Bucket; delta: WritingBucketDelta }[] = [];
    const newest = deps.now ? Math.max(latestMinute, Math.floor(deps.now() / MINUTE) * MINUTE) : latestMinute;
    for (const [id, b] of buckets) {
      const seconds = Math.floor(b.activeMs / 1000) - b.sentSeconds;
      if (b.wordsAdded === 0 && b.wordsRemoved === 0 && b.wordsNet === 0 && seconds <= 0) {
        if (b.minute < newest - KEEP_MINUTES * MINUTE) buckets.delete(id);
        continue;
      }
      const delta: WritingBucketDelta = {
        userId: b.userId,
        projectId: b.projectId,
        documentId: b.documentId,
        minute: b.minute,
        wordsAdded: b.wordsAdded,
        wordsRemoved: b.wordsRemoved,
        wordsNet: b.wordsNet,
        activeSeconds: Math.max(0, seconds),
      };
      // Taken out before the await: edits arriving during the write go to the next flush.
      b.wordsAdded = 0;
      b.wordsRemoved = 0;
      b.wordsNet = 0;
      b.sentSeconds += delta.activeSeconds;
      deltas.push(delta);
      sent.push({ bucket: b, delta });
    }
    dirty = 0;
    if (deltas.length === 0) return;
    try {
      await deps.store.addBuckets(deltas);
    } catch (error) {
      for (const { bucket, delta } of sent) {
        bucket.wordsAdded += delta.wordsAdded;
        bucket.wordsRemoved += delta.wordsRemoved;
        bucket.wordsNet += delta.wordsNet;
        bucket.sentSeconds -= delta.activeSeconds;
      }
      dirty += deltas.length;
      deps.logger.warn({ err: error, buckets: deltas.length }, 'writing buckets not stored; retrying with the next flush');
      throw error;
    }
  }

  /**
   * Journaled words (written with their updates' log rows) join the buckets with every flush: the
   * buckets are a cache of the journal for them, complete again after any crash at the first
   * flush of any instance.
   */
  async function foldJournal(): Promise<void> {
    if (deps.store.foldWordJournal === undefined) return;
    try {
      await deps.store.foldWordJournal();
    } catch (error) {
      deps.logger.warn({ err: error }, 'word journal not folded; retrying with the next flush');
      throw error;
    }
  }

  return {
    addWords(key, at, words) {
      const b = bucketOf(key, Math.floor(at / MINUTE) * MINUTE);
      b.wordsAdded += words.added;
      b.wordsRemoved += words.removed;
      b.wordsNet += words.net;
    },
    addWritingTime(key, from, to) {
      for (let t = from; t < to; ) {
        const minute = Math.floor(t / MINUTE) * MINUTE;
        const end = Math.min(to, minute + MINUTE);
        // A minute holds at most 60 s: overlapping sessions (a bug, or two instances) cannot inflate it.
        const b = bucketOf(key, minute);
        b.activeMs = Math.min(MINUTE, b.activeMs + (end - t));
        t = end;
      }
    },
    async flush() {
      while (running !== null) await running.catch(() => {});
      running = flushOnce().then(foldJournal);
      try {
        await running;
      } finally {
        running = null;
      }
    },
    pending: () => dirty,
  };
}
