/**
 * Runs the same load against Storyloom and then against bare Hocuspocus (each started fresh in
 * this run, never both at once, so they do not compete for the 2 cores) and turns the pair into
 * table rows.
 */
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import { type Row } from './report.js';
import { SERVER_KINDS, startBenchServer, type ServerKind } from './server-procs.js';

export type Pair = Record<ServerKind, LoadResult>;

/** `spec.label` gets the server kind appended so both runs use fresh document names. */
export async function runOnBoth(spec: LoadSpec, log: (line: string) => void = console.log): Promise<Pair> {
  const out: Partial<Pair> = {};
  for (const kind of SERVER_KINDS) {
    const server = await startBenchServer(kind);
    log(`  ${kind}: started in ${server.startupMs.toFixed(0)} ms (pid ${server.pid})`);
    try {
      out[kind] = await runLoad(server, { ...spec, label: `${spec.label}-${kind}` }, log);
    } finally {
      await server.cleanup();
    }
    summarizeRun(out[kind], log);
  }
  return out as Pair;
}

export function summarizeRun(r: LoadResult, log: (line: string) => void): void {
  log(
    `  ${r.server}: p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms (after warm-up ${r.steadyLatencyMs.p99.toFixed(1)} ms), delivery ${(r.deliveryRatio * 100).toFixed(3)} %, ` +
      `converged ${r.docsConverged}/${r.docsConverged + r.docsDiverged}, server cpu ${r.serverUsage.cpuPercent.toFixed(0)} %, generator cpu ${r.generatorCpuPercent.toFixed(0)} %`,
  );
}

/** Latency without the warm-up seconds, when the scenario has them (the figure the targets use). */
function steadyRows(p: Pair): Row[] {
  const warm = p.storyloom.spec.warmupSeconds ?? 0;
  if (warm <= 0) return [];
  const row = (q: 'p50' | 'p99' | 'max'): Row => ({ label: `delivery latency ${q} after the first ${warm} s (ms)`, storyloom: p.storyloom.steadyLatencyMs[q], bare: p.bare.steadyLatencyMs[q], digits: 1 });
  return [row('p50'), row('p99'), row('max')];
}

/** The rows every load scenario reports. */
export function loadRows(p: Pair): Row[] {
  const s = p.storyloom;
  const b = p.bare;
  const row = (label: string, get: (r: LoadResult) => number, digits = 1): Row => ({ label, storyloom: get(s), bare: get(b), digits });
  return [
    row('edits sent', (r) => r.sent, 0),
    row('delivery latency p50 (ms)', (r) => r.latencyMs.p50),
    row('delivery latency p95 (ms)', (r) => r.latencyMs.p95),
    row('delivery latency p99 (ms)', (r) => r.latencyMs.p99),
    row('delivery latency max (ms)', (r) => r.latencyMs.max),
    ...steadyRows(p),
    row('delivery ratio (%)', (r) => r.deliveryRatio * 100, 3),
    { ...row('documents converged', (r) => r.docsConverged, 0), ratio: `${s.docsDiverged + b.docsDiverged === 0 ? 'all' : 'NOT all'} of ${s.docsConverged + s.docsDiverged}` },
    row('server CPU, mean (% of a core)', (r) => r.serverUsage.cpuPercent, 0),
    row('server CPU, busiest second (% of a core)', (r) => r.serverUsage.cpuPeakPercent, 0),
    ...(s.databaseCpuPercent !== undefined
      ? [
          {
            label: 'Postgres CPU, its own processes (% of a core; ratio: server + Postgres ÷ bare)',
            storyloom: s.databaseCpuPercent,
            bare: NaN,
            digits: 0,
            ratio: ((s.serverUsage.cpuPercent + s.databaseCpuPercent) / b.serverUsage.cpuPercent).toFixed(2),
          } satisfies Row,
        ]
      : []),
    row('server RSS at end (MB)', (r) => r.serverUsage.rssEndMb, 0),
    row('load generator CPU, all processes (% of a core)', (r) => r.generatorCpuPercent, 0),
    row('load generator CPU, busiest process (% of a core)', (r) => r.generatorMaxWorkerCpuPercent, 0),
    row('client disconnects', (r) => r.disconnects, 0),
  ];
}
