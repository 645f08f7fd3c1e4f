/**
 * step-up: raises the load level by level, for each server, until p99 delivery latency passes
 * 100 ms or the delivery ratio falls below 99.9 % (or a client fails to sync). Two series, so
 * BENCHMARKS.md can show how cost grows with the number of documents and with the number of
 * writers in one document:
 *   documents: W writers per document, the number of documents doubling each level;
 *   writers:   one document, the number of writers in it doubling each level (carets at 1 Hz).
 * Every level runs on a fresh server, so RSS is that level's, not the sum of the levels before.
 * Each level starts with a warm-up left out of its CPU and of the p99 that decides it: the tail of
 * the connect burst (first loads, a writing session started per writer, join events, both
 * servers' JITs) is a one-off per level, not what the level's load costs to carry. The whole
 * level's p99 stays in the table beside it.
 * Full: 10 writers per document, 10..640 documents, and 10..160 writers in one document, 5 s of
 * warm-up + 15 s a level (the issue's harness). Quick: 5 writers per document, 4..128 documents,
 * and 10..160 writers, 3 + 7 s a level.
 * The load generator shares the machine: its CPU is in the table so a saturated generator
 * (near 100 % per process) is not mistaken for a saturated server.
 */
import { summarizeRun } from '../lib/compare.js';
import { runLoad, type LoadResult, type LoadSpec } from '../lib/load.js';
import { FULL, WORKERS, fmt, header, table, writeResult } from '../lib/report.js';
import { SERVER_KINDS, startBenchServer, type ServerKind } from '../lib/server-procs.js';

const P99_LIMIT_MS = 100;
const DELIVERY_FLOOR = 0.999;

function passes(r: LoadResult): boolean {
  return r.connectFailed === 0 && r.steadyLatencyMs.p99 <= P99_LIMIT_MS && r.deliveryRatio >= DELIVERY_FLOOR;
}

/** µs of server CPU per edit delivered (sent × delivery ratio), over the measured window. */
function cpuPerEditUs(r: LoadResult): number {
  const editsPerSecond = (r.sent * r.deliveryRatio) / r.spec.seconds;
  return (r.serverUsage.cpuPercent * 1e4) / editsPerSecond;
}

interface Series {
  name: 'documents' | 'writers';
  /** The level's LoadSpec (label aside). */
  levels: Omit<LoadSpec, 'label'>[];
}

function seriesOf(): Series[] {
  const warmupSeconds = FULL ? 5 : 3;
  const seconds = warmupSeconds + (FULL ? 15 : 7);
  const common = { editsPerSecond: 2, seconds, warmupSeconds, workers: WORKERS, drainMs: 2_000 };
  const perDoc = FULL ? 10 : 5;
  const docLevels = FULL ? [10, 20, 40, 80, 160, 320, 640] : [4, 8, 16, 32, 64, 128];
  const writerLevels = FULL ? [10, 20, 40, 80, 160] : [10, 20, 40, 80, 160];
  return [
    { name: 'documents', levels: docLevels.map((docs) => ({ ...common, docs, writersPerDoc: perDoc, caretHz: 0 })) },
    { name: 'writers', levels: writerLevels.map((writers) => ({ ...common, docs: 1, writersPerDoc: writers, caretHz: 1 })) },
  ];
}

async function runSeries(series: Series, runId: string): Promise<Record<ServerKind, LoadResult[]>> {
  const results: Record<ServerKind, LoadResult[]> = { storyloom: [], bare: [] };
  for (const kind of SERVER_KINDS) {
    for (const level of series.levels) {
      console.log(`  ${kind}: ${series.name} level ${level.docs} documents × ${level.writersPerDoc} writers (${level.docs * level.writersPerDoc * 2} edits/s)`);
      const server = await startBenchServer(kind);
      try {
        const r = await runLoad(server, { ...level, label: `step-${runId}-${series.name}-${kind}-${level.docs}x${level.writersPerDoc}` });
        summarizeRun(r, console.log);
        results[kind].push(r);
        if (!passes(r)) break;
      } finally {
        await server.cleanup();
      }
    }
  }
  return results;
}

const editsPerSecond = (r: LoadResult) => r.spec.docs * r.spec.writersPerDoc * r.spec.editsPerSecond;

function seriesMarkdown(series: Series, results: Record<ServerKind, LoadResult[]>): string[] {
  const highest = (kind: ServerKind) => {
    const ok = results[kind].filter(passes);
    return ok.length ? editsPerSecond(ok[ok.length - 1]!) : 0;
  };
  const capped = SERVER_KINDS.filter((kind) => results[kind].length === series.levels.length && passes(results[kind].at(-1)!));
  const rows = series.levels.map((level) => {
    const at = (kind: ServerKind) => results[kind].find((x) => x.spec.docs === level.docs && x.spec.writersPerDoc === level.writersPerDoc);
    const cell = (kind: ServerKind) => {
      const r = at(kind);
      return r
        ? `${fmt(r.steadyLatencyMs.p50)} | ${fmt(r.steadyLatencyMs.p99)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.deliveryRatio * 100, 2)} | ${fmt(r.serverUsage.cpuPercent, 0)} | ${fmt(cpuPerEditUs(r), 0)} | ${fmt(r.serverUsage.rssEndMb, 0)}`
        : '- | - | - | - | - | - | -';
    };
    const story = at('storyloom');
    const bare = at('bare');
    const ratio = story && bare ? fmt(cpuPerEditUs(story) / cpuPerEditUs(bare), 2) : '-';
    const gen = Math.max(...SERVER_KINDS.map((k) => at(k)?.generatorMaxWorkerCpuPercent ?? 0));
    return `| ${level.docs} × ${level.writersPerDoc} (${level.docs * level.writersPerDoc * 2}/s) | ${cell('storyloom')} | ${cell('bare')} | ${ratio} | ${fmt(gen, 0)} |`;
  });
  return [
    `### ${series.name === 'documents' ? 'More documents' : 'More writers in one document'}`,
    '',
    table([{ label: 'highest passing load (edits/s)', storyloom: highest('storyloom'), bare: highest('bare'), digits: 0 }]),
    '',
    ...(capped.length ? [`${capped.join(' and ')} passed every level: the real limit is higher than the table says.`, ''] : []),
    '| documents × writers (edits/s) | Storyloom p50 ms | p99 ms | whole-level p99 ms | delivery % | CPU % | CPU µs per edit | RSS MB | bare p50 ms | p99 ms | whole-level p99 ms | delivery % | CPU % | CPU µs per edit | RSS MB | CPU per edit, Storyloom ÷ bare | busiest generator CPU % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

export async function stepUp(): Promise<string> {
  const runId = Date.now().toString(36);
  const all = seriesOf();
  const first = all[0]!.levels[0]!;
  const out: Record<string, Record<ServerKind, LoadResult[]>> = {};
  for (const series of all) out[series.name] = await runSeries(series, runId);
  await writeResult('step-up', { P99_LIMIT_MS, DELIVERY_FLOOR, series: all, results: out });
  return [
    header(),
    `Each level runs on a fresh server at 2 edits/s per writer: ${first.warmupSeconds} s of warm-up (the connect burst's tail) and then ${first.seconds - first.warmupSeconds!} s measured. p50, p99 and CPU are the measured seconds' (edits sent after the warm-up); "whole-level p99" includes the warm-up. A level passes with that p99 ≤ ${P99_LIMIT_MS} ms and delivery ≥ ${DELIVERY_FLOOR * 100} %; a server stops at its first failing level. CPU µs per edit = server CPU ÷ edits delivered per second. In the writers series carets move at 1 Hz.`,
    '',
    ...all.flatMap((series) => [...seriesMarkdown(series, out[series.name]!), '']),
  ].join('\n');
}
