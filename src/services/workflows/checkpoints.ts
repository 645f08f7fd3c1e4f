import { createBatchLoader } from '../../lib/batch-loader.js';
import type { RunState } from '../../workflows/run-state.js';
import type { Checkpoint, NewRun, WorkflowStore } from './ports.js';

/** Rows per statement: bounded so one statement's parameters stay far below Postgres's limit. */
const MAX_CHECKPOINT_BATCH = 200;

/**
 * Group commit of run checkpoints (WorkflowStore.saveRuns, one UPDATE for the batch); the runner
 * performs a transition's effects only after its checkpoint is stored.
 */
export function createCheckpointWriter(store: Pick<WorkflowStore, 'saveRuns'>): { save(entry: Checkpoint): Promise<boolean> } {
  // Group commit (lib/batch-loader.ts): entries asked for while a batch is written go into the next.
  const commit = createBatchLoader({ run: (batch: readonly Checkpoint[]) => store.saveRuns(batch), maxBatch: MAX_CHECKPOINT_BATCH });
  return { save: (entry) => commit.load(entry) };
}

/**
 * Group commit of new runs (WorkflowStore.insertRuns, one INSERT for the batch): a burst of
 * executions or triggered events costs one commit, not one per run.
 */
export function createRunInserter(store: Pick<WorkflowStore, 'insertRuns'>): (run: RunState, wakeAt: number | null) => Promise<void> {
  const commit = createBatchLoader({
    run: async (batch: readonly NewRun[]) => {
      await store.insertRuns(batch);
      return batch.map(() => undefined);
    },
    maxBatch: MAX_CHECKPOINT_BATCH,
  });
  return (run, wakeAt) => commit.load({ run, wakeAt });
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
