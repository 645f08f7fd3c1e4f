import type { RunState } from '../../workflows/run-state.js';
import type { Checkpoint, NewRun, WorkflowStore } from './ports.js';

/** Rows per statement: bounded so one statement's parameters stay far below Postgres's limit. */
const MAX_CHECKPOINT_BATCH = 200;

/**
 * Group commit: every entry asked for while one batch is being written goes into the next batch,
 * one statement for all (`write`, at most `maxBatch` entries). Each caller still gets its own
 * answer, only once its batch is stored.
 */
export function createGroupCommit<T, R>(write: (batch: readonly T[]) => Promise<readonly R[]>, maxBatch: number): (entry: T) => Promise<R | undefined> {
  let pending: Array<{ entry: T; resolve: (result: R | undefined) => void; reject: (error: unknown) => void }> = [];
  let writing = false;

  async function writeBatches(): Promise<void> {
    writing = true;
    // One macrotask first, so entries asked for in the same tick share the batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      try {
        const results = await write(batch.map((b) => b.entry));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    writing = false;
  }

  return (entry) => {
    const done = new Promise<R | undefined>((resolve, reject) => pending.push({ entry, resolve, reject }));
    if (!writing) void writeBatches();
    return done;
  };
}

/**
 * Group commit of run checkpoints (WorkflowStore.saveRuns, one UPDATE for the batch); the runner
 * performs a transition's effects only after its checkpoint is stored.
 */
export function createCheckpointWriter(store: Pick<WorkflowStore, 'saveRuns'>): { save(entry: Checkpoint): Promise<boolean> } {
  const commit = createGroupCommit((batch: readonly Checkpoint[]) => store.saveRuns(batch), MAX_CHECKPOINT_BATCH);
  return { save: async (entry) => (await commit(entry)) ?? false };
}

/**
 * Group commit of new runs (WorkflowStore.insertRuns, one INSERT for the batch): a burst of
 * executions or triggered events costs one commit, not one per run.
 */
export function createRunInserter(store: Pick<WorkflowStore, 'insertRuns'>): (run: RunState, wakeAt: number | null) => Promise<void> {
  const commit = createGroupCommit(async (batch: readonly NewRun[]) => {
    await store.insertRuns(batch);
    return [];
  }, MAX_CHECKPOINT_BATCH);
  return async (run, wakeAt) => void (await commit({ run, wakeAt }));
}

/** At most `size` holders at once; the others wait in order. */
export function createSlots(size: number): { acquire(): Promise<void>; release(): void; busy(): number } {
  const waiting: Array<() => void> = [];
  let used = 0;
  return {
    acquire() {
      if (used < size) {
        used++;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(() => resolve()));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else used--;
    },
    busy: () => used,
  };
}
