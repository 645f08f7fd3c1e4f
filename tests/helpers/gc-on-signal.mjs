// Preloaded into a server process by the leak test (NODE_OPTIONS=--import=<this file>): SIGUSR2
// runs a full garbage collection and prints `{"msg":"test-gc-done"}`, so /metrics read right
// after shows the heap as it is once garbage is gone, not whenever V8 last collected. With
// TEST_HEAPSNAPSHOT_DIR set it also writes a heap snapshot there after each collection
// (gc-<n>.heapsnapshot), for comparing retained objects by constructor (scripts/heap-diff.mjs).
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const snapshotDir = process.env.TEST_HEAPSNAPSHOT_DIR;
let runs = 0;
process.on('SIGUSR2', () => {
  gc();
  gc();
  // Then the collection V8 runs on a low-memory notification: it compacts and hands the emptied
  // heap pages back to the OS. Without it, RSS after a 1,000-writer load stayed at the load's
  // peak (V8 keeps the pages it grew into committed) with 52 MB of the heap in use.
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  runs++;
  const snapshot = snapshotDir ? v8.writeHeapSnapshot(join(snapshotDir, `gc-${runs}.heapsnapshot`)) : undefined;
  process.stdout.write(`${JSON.stringify({ msg: 'test-gc-done', runs, ...(snapshot ? { snapshot } : {}) })}\n`);
});
