import type { Checkpoint, WorkflowStore } from './ports.js';

/** Checkpoints per statement: bounded so one statement's parameters stay far below Postgres's limit. */
const MAX_CHECKPOINT_BATCH = 200;

/**
 * Group commit of run checkpoints: every save asked for while one batch is being written goes into
 * the next batch, one statement for all (WorkflowStore.saveRuns). Each caller still gets its own
 * answer, and the runner performs a transition's effects only after its checkpoint is stored.
 */
export function createCheckpointWriter(store: Pick<WorkflowStore, 'saveRuns'>): { save(entry: Checkpoint): Promise<boolean> } {
  let pending: Array<{ entry: Checkpoint; resolve: (saved: boolean) => void; reject: (error: unknown) => void }> = [];
  let writing = false;

  async function writeBatches(): Promise<void> {
    writing = true;
    // One macrotask first, so transitions fed in the same tick share the batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_CHECKPOINT_BATCH);
      pending = pending.slice(batch.length);
      try {
        const saved = await store.saveRuns(batch.map((b) => b.entry));
        batch.forEach((b, i) => b.resolve(saved[i] ?? false));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    writing = false;
  }

  return {
    save(entry) {
      const done = new Promise<boolean>((resolve, reject) => pending.push({ entry, resolve, reject }));
      if (!writing) void writeBatches();
      return done;
    },
  };
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
