/**
 * hot-doc: one document everybody is in (a writing sprint). Full: 50 writers × 2 edits/s with
 * carets moving at 5 Hz for 60 s. Quick: the same 50 writers for 15 s. Awareness dominates: every caret
 * move is broadcast to every other writer.
 */
import { loadRows, runOnBoth } from '../lib/compare.js';
import { FULL, WORKERS, header, table, writeResult } from '../lib/report.js';

export async function hotDoc(): Promise<string> {
  const spec = {
    label: `hot-${Date.now().toString(36)}`,
    docs: 1,
    writersPerDoc: 50,
    editsPerSecond: 2,
    caretHz: 5,
    seconds: FULL ? 60 : 15,
    workers: WORKERS,
    drainMs: 3_000,
    warmupSeconds: FULL ? 5 : 3,
  };
  const pair = await runOnBoth(spec);
  await writeResult('hot-doc', pair);
  return [
    header(),
    `Load: 1 document × ${spec.writersPerDoc} writers × ${spec.editsPerSecond} edits/s, carets at ${spec.caretHz} Hz, for ${spec.seconds} s, then ${spec.drainMs / 1000} s to drain. Server CPU and the latencies "after the first ${spec.warmupSeconds} s" leave out edits sent in the first ${spec.warmupSeconds} s (connect burst, session starts, JIT warm-up, for both servers).`,
    '',
    table(loadRows(pair)),
  ].join('\n');
}
