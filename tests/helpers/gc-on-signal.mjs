// Preloaded into a server process by the leak test (NODE_OPTIONS=--import=<this file>): SIGUSR2
// runs a full garbage collection and prints `{"msg":"test-gc-done"}`, so /metrics read right
// after shows the heap as it is once garbage is gone, not whenever V8 last collected.
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
let runs = 0;
process.on('SIGUSR2', () => {
  gc();
  gc();
  process.stdout.write(`${JSON.stringify({ msg: 'test-gc-done', runs: ++runs })}\n`);
});
