/**
 * step-up: raises the load level by level until p99 delivery latency passes 100 ms or the
 * delivery ratio falls below 99.9 % (or a client fails to sync), for each server. A level is
 * `docs × writersPerDoc` writers at 2 edits/s; the number of documents doubles each level.
 * Full: 10 writers per document, from 10 documents up to 640 (12,800 edits/s), 20 s a level.
 * Quick: 5 writers per document, 4 to 32 documents, 6 s a level.
 * The load generator shares the machine: its CPU is in the table so a saturated generator
 * (near 100 % per process) is not mistaken for a saturated server.
 */
import { summarizeRun } from '../lib/compare.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { FULL, WORKERS, fmt, header, table, writeResult } from '../lib/report.js';
import { SERVER_KINDS, startBenchServer, type ServerKind } from '../lib/server-procs.js';

const P99_LIMIT_MS = 100;
const DELIVERY_FLOOR = 0.999;

function passes(r: LoadResult): boolean {
  return r.connectFailed === 0 && r.latencyMs.p99 <= P99_LIMIT_MS && r.deliveryRatio >= DELIVERY_FLOOR;
}

export async function stepUp(): Promise<string> {
  const writersPerDoc = FULL ? 10 : 5;
  const levels = FULL ? [10, 20, 40, 80, 160, 320, 640] : [4, 8, 16, 32];
  const seconds = FULL ? 20 : 6;
  const runId = Date.now().toString(36);
  const results: Record<ServerKind, LoadResult[]> = { storyloom: [], bare: [] };
  for (const kind of SERVER_KINDS) {
    const server = await startBenchServer(kind);
    try {
      for (const docs of levels) {
        console.log(`  ${kind}: level ${docs} documents × ${writersPerDoc} writers (${docs * writersPerDoc * 2} edits/s)`);
        const r = await runLoad(server, { label: `step-${runId}-${kind}-${docs}`, docs, writersPerDoc, editsPerSecond: 2, caretHz: 0, seconds, workers: WORKERS, drainMs: 2_000 });
        summarizeRun(r, console.log);
        results[kind].push(r);
        if (!passes(r)) break;
      }
    } finally {
      await server.cleanup();
    }
  }
  await writeResult('step-up', { P99_LIMIT_MS, DELIVERY_FLOOR, levels, writersPerDoc, seconds, results });

  const highest = (kind: ServerKind) => {
    const ok = results[kind].filter(passes);
    return ok.length ? ok[ok.length - 1]!.spec.docs * writersPerDoc * 2 : 0;
  };
  const capped = (kind: ServerKind) => results[kind].length === levels.length && passes(results[kind].at(-1)!);
  const levelRows = levels.map((docs) => {
    const cell = (kind: ServerKind) => {
      const r = results[kind].find((x) => x.spec.docs === docs);
      return r
        ? `${fmt(r.latencyMs.p99)} | ${fmt(r.deliveryRatio * 100, 3)} | ${fmt(r.serverUsage.cpuPercent, 0)} | ${fmt(r.generatorMaxWorkerCpuPercent, 0)}`
        : '- | - | - | -';
    };
    return `| ${docs * writersPerDoc * 2} (${docs} docs) | ${cell('storyloom')} | ${cell('bare')} |`;
  });
  const uncapped = SERVER_KINDS.filter(capped);
  return [
    header(),
    `Levels: documents ${levels.join(', ')} × ${writersPerDoc} writers × 2 edits/s, ${seconds} s each; a level passes with p99 ≤ ${P99_LIMIT_MS} ms and delivery ≥ ${DELIVERY_FLOOR * 100} %.`,
    '',
    table([{ label: 'highest passing load (edits/s)', storyloom: highest('storyloom'), bare: highest('bare'), digits: 0 }]),
    '',
    ...(uncapped.length ? [`${uncapped.join(' and ')} passed every level: the real limit is higher than the table says.`, ''] : []),
    '| offered edits/s | Storyloom p99 ms | delivery % | server CPU % | busiest generator CPU % | bare p99 ms | delivery % | server CPU % | busiest generator CPU % |',
    '|---|---|---|---|---|---|---|---|---|',
    ...levelRows,
  ].join('\n');
}
