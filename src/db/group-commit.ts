import { AppError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DocumentStore, UpdateRecord } from './document-store.js';

export interface GroupCommitOptions {
  store: DocumentStore;
  /** Records per write; a full batch is written without waiting for the delay. >= 1. */
  maxBatch: number;
  /**
   * Longest time the oldest waiting record waits before its batch is written; 0 means "on the
   * next turn of the event loop" (setImmediate), which still groups everything appended in the
   * same tick.
   */
  maxDelayMs: number;
  logger: Logger;
}

export interface GroupCommit {
  /**
   * Queues one record. Resolves with its seq once the batch it joined has committed; rejects
   * with that batch's error if the write failed (every record of the batch rejects; nothing is
   * retried here). Rejects with AppError('service-unavailable') after close().
   */
  append(record: UpdateRecord): Promise<number>;
  /**
   * Writes everything appended so far without waiting for the delay. Resolves when all of it
   * has committed; rejects with the first batch error if any of it failed (those appends have
   * rejected too).
   */
  flush(): Promise<void>;
  /** Refuses new appends from now on, then flushes. Idempotent. */
  close(): Promise<void>;
  /** Appends not yet settled: waiting plus in flight. */
  pending(): number;
}

interface Entry {
  id: number;
  record: UpdateRecord;
  resolve(seq: number): void;
  reject(error: unknown): void;
}

interface FlushWaiter {
  /** The last entry appended before flush() was called. */
  throughId: number;
  error: unknown;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for the update log. A single-row transaction costs ~0.27 ms on PGlite, so writing
 * per keystroke would eat a core at 2k edits/s; instead appends are queued and written in
 * multi-row transactions. Exactly one write is in flight at a time, so batches commit in append
 * order and appends arriving during a write join the next batch.
 */
export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  const { store, maxBatch, maxDelayMs } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be >= 0, got ${maxDelayMs}`);
  const logger = options.logger.child({ module: 'group-commit' });

  const waiting: Entry[] = [];
  let inFlight: Entry[] = [];
  let writing = false;
  let nextId = 1;
  let closed = false;
  let closing: Promise<void> | undefined;
  // `due`: the oldest waiting record has waited maxDelayMs (or a flush wants it now). The timer
  // is armed when the queue goes from empty to non-empty, so it measures the oldest record's wait.
  let due = false;
  let timer: { cancel(): void } | undefined;
  const flushWaiters: FlushWaiter[] = [];

  function armTimer(): void {
    if (timer || due) return;
    const fire = (): void => {
      timer = undefined;
      due = true;
      kick();
    };
    if (maxDelayMs === 0) {
      const handle = setImmediate(fire);
      timer = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(fire, maxDelayMs);
      timer = { cancel: () => clearTimeout(handle) };
    }
  }

  function kick(): void {
    if (writing || waiting.length === 0) return;
    if (waiting.length < maxBatch && !due) return;
    const batch = waiting.splice(0, maxBatch);
    if (waiting.length === 0) {
      due = false;
      timer?.cancel();
      timer = undefined;
    }
    // Leftovers (more than maxBatch were waiting) keep `due` and the running timer: they are
    // written right after this batch or when the timer fires, never later than their delay.
    void write(batch);
  }

  async function write(batch: Entry[]): Promise<void> {
    writing = true;
    inFlight = batch;
    let failure: unknown;
    try {
      const seqs = await store.appendUpdates(batch.map((e) => e.record));
      if (seqs.length !== batch.length) {
        throw new Error(`store returned ${seqs.length} seqs for ${batch.length} records`);
      }
      batch.forEach((entry, i) => entry.resolve(seqs[i]!));
    } catch (error) {
      failure = error;
      // Logged here once at warn: each appender receives the error and decides what to do.
      logger.warn({ records: batch.length, err: errorMessage(error) }, 'group commit batch failed');
      for (const entry of batch) entry.reject(error);
    } finally {
      writing = false;
      inFlight = [];
    }
    settleFlushWaiters(batch[0]!.id, batch[batch.length - 1]!.id, failure);
    kick();
  }

  function settleFlushWaiters(firstId: number, lastId: number, failure: unknown): void {
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const waiter = flushWaiters[i]!;
      if (failure !== undefined && firstId <= waiter.throughId && waiter.error === undefined) waiter.error = failure;
      if (lastId >= waiter.throughId) {
        flushWaiters.splice(i, 1);
        if (waiter.error === undefined) waiter.resolve();
        else waiter.reject(waiter.error);
      }
    }
  }

  function append(record: UpdateRecord): Promise<number> {
    if (closed) {
      return Promise.reject(new AppError('service-unavailable', 'group commit is closed: append() after close()'));
    }
    return new Promise<number>((resolve, reject) => {
      waiting.push({ id: nextId++, record, resolve, reject });
      if (waiting.length === 1) armTimer();
      kick();
    });
  }

  function flush(): Promise<void> {
    const last = waiting[waiting.length - 1] ?? inFlight[inFlight.length - 1];
    if (!last) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      flushWaiters.push({ throughId: last.id, error: undefined, resolve, reject });
    });
    if (waiting.length > 0) {
      due = true;
      timer?.cancel();
      timer = undefined;
      kick();
    }
    return done;
  }

  function close(): Promise<void> {
    closed = true;
    closing ??= flush();
    return closing;
  }

  return { append, flush, close, pending: () => waiting.length + inFlight.length };
}
