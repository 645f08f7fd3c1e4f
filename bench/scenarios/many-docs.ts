/**
 * many-docs: many small documents, each with a handful of writers (a busy writing platform).
 * Full: 100 documents × 10 writers × 2 edits/s for 60 s (2,000 edits/s, 18,000 deliveries/s).
 * Quick: 20 × 5 × 2 edits/s for 15 s.
 */
import { loadRows, runOnBoth } from '../lib/compare.js';
import { FULL, WORKERS, header, table, writeResult } from '../lib/report.js';

export async function manyDocs(): Promise<string> {
  const spec = {
    label: `many-${Date.now().toString(36)}`,
    docs: FULL ? 100 : 20,
    writersPerDoc: FULL ? 10 : 5,
    editsPerSecond: 2,
    caretHz: 0,
    seconds: FULL ? 60 : 15,
    workers: WORKERS,
    // Full load saturates two shared cores: give the backlog time to clear before convergence is checked.
    drainMs: FULL ? 60_000 : 3_000,
    warmupSeconds: FULL ? 5 : 3,
  };
  const pair = await runOnBoth(spec);
  await writeResult('many-docs', pair);
  return [
    header(),
    `Load: ${spec.docs} documents × ${spec.writersPerDoc} writers × ${spec.editsPerSecond} edits/s for ${spec.seconds} s (carets move with each edit), then ${spec.drainMs / 1000} s to drain. Server CPU and the latencies "after the first ${spec.warmupSeconds} s" leave out edits sent in the first ${spec.warmupSeconds} s (connect burst, session starts, JIT warm-up, for both servers).`,
    '',
    table(loadRows(pair)),
  ].join('\n');
}
