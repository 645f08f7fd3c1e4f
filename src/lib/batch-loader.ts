/**
 * Calls made in the same turn of the event loop (or within `delayMs`) served by one batch call,
 * with one batch in flight at a time (as group commit does): calls arriving while it runs go
 * together in the next one. A burst of writers starting at once used to queue one statement per
 * writer per lookup (and per small write) on the single PGlite worker; batched, the burst costs
 * a few statements per kind. The slower the database answers, the more calls wait for the next
 * batch, so batches grow exactly when it matters, and a lone call waits only for the next turn.
 */

export interface BatchLoader<T, R> {
  /** Resolves with the item's result once its batch ran; rejects with the batch's (or its own) error. */
  load(item: T): Promise<R>;
}

export interface BatchLoaderOptions<T, R> {
  /** One result per item, in the order given. Throwing fails the batch. */
  run(items: readonly T[]): Promise<readonly R[]>;
  /**
   * Items with the same key share one place in the batch: the last one queued is what `run`
   * sees, and every caller settles with its result (the same lookup twice, or a newer row of
   * the same record). Without it every item is passed.
   */
  keyOf?(item: T): string;
  /** Items per `run`; a larger turn is split. Default 500 (well under Postgres's 65,535 parameters). */
  maxBatch?: number;
  /** 0 (default): the next turn of the event loop (setImmediate); otherwise a timer from the first item. */
  delayMs?: number;
  /** Batches in flight at once; default 1. */
  concurrency?: number;
  /**
   * On a failed batch of several items, run each alone so one bad item fails only its own
   * caller (writes); without it every caller gets the batch's error (lookups with a fallback).
   */
  retrySingly?: boolean;
}

interface Slot<T, R> {
  item: T;
  waiters: { resolve(value: R): void; reject(error: unknown): void }[];
}

export function createBatchLoader<T, R>(options: BatchLoaderOptions<T, R>): BatchLoader<T, R> {
  const maxBatch = options.maxBatch ?? 500;
  const delayMs = options.delayMs ?? 0;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  const queue = new Map<string | number, Slot<T, R>>();
  let unkeyed = 0;
  let scheduled = false;
  let running = 0;

  /** Waits a turn (or the delay) before the first batch, so the calls of that turn join it. */
  function schedule(): void {
    if (scheduled || running >= concurrency) return;
    scheduled = true;
    const fire = () => {
      scheduled = false;
      pump();
    };
    if (delayMs === 0) setImmediate(fire);
    else setTimeout(fire, delayMs);
  }

  /** Starts batches while a place is free; a finished batch starts the next with what queued meanwhile. */
  function pump(): void {
    while (running < concurrency && queue.size > 0) {
      const slots: Slot<T, R>[] = [];
      for (const [key, slot] of queue) {
        if (slots.length === maxBatch) break;
        slots.push(slot);
        queue.delete(key);
      }
      running++;
      void runBatch(slots).finally(() => {
        running--;
        pump();
      });
    }
  }

  async function runBatch(slots: Slot<T, R>[]): Promise<void> {
    let results: readonly R[];
    try {
      results = await options.run(slots.map((s) => s.item));
      if (results.length !== slots.length) throw new Error(`batch returned ${results.length} results for ${slots.length} items`);
    } catch (error) {
      if (options.retrySingly === true && slots.length > 1) {
        await Promise.all(slots.map((s) => runBatch([s])));
        return;
      }
      for (const slot of slots) for (const w of slot.waiters) w.reject(error);
      return;
    }
    slots.forEach((slot, i) => {
      for (const w of slot.waiters) w.resolve(results[i]!);
    });
  }

  return {
    load(item) {
      return new Promise<R>((resolve, reject) => {
        const key = options.keyOf ? options.keyOf(item) : unkeyed++;
        const slot = queue.get(key);
        if (slot) {
          slot.item = item;
          slot.waiters.push({ resolve, reject });
        } else {
          queue.set(key, { item, waiters: [{ resolve, reject }] });
        }
        schedule();
      });
    },
  };
}
