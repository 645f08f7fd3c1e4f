/**
 * startup: how long a server takes from spawn until `/readyz` answers 200 (Storyloom) or it
 * listens (bare Hocuspocus has no /readyz), and its RSS after 3 s idle. Storyloom runs as the
 * tests and the other scenarios run it (`node --import tsx src/main.ts`), first on a fresh
 * DATA_DIR (PGlite from the install-time template, or initdb without one), then again on the
 * same directory. The goals: ≤ 2 s fresh, ≤ 1 s existing, ≤ 250 MB idle.
 */
import { FULL, header, table, writeResult } from '../lib/report.js';
import { readProc, startBenchServer, type BenchServer } from '../lib/server-procs.js';

const IDLE_MS = 3_000;

interface Start {
  readyMs: number;
  rssMB: number;
}

async function readyAndIdle(server: BenchServer, t0: number): Promise<Start> {
  const readyz = server.wsUrl.replace(/^ws/, 'http').replace(/\/collaboration$/, '/readyz');
  for (;;) {
    const ok = await fetch(readyz).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (performance.now() - t0 > 120_000) throw new Error('no /readyz 200 within 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return { readyMs, rssMB: (readProc(server.pid)?.rssBytes ?? NaN) / 2 ** 20 };
}

async function storyloomRun(): Promise<{ fresh: Start; existing: Start }> {
  let t0 = performance.now();
  const first = await startBenchServer('storyloom');
  let second: BenchServer | undefined;
  try {
    const fresh = await readyAndIdle(first, t0);
    await first.stop();
    t0 = performance.now();
    second = await startBenchServer('storyloom', { dataDir: first.dataDir! });
    const existing = await readyAndIdle(second, t0);
    return { fresh, existing };
  } finally {
    await second?.stop();
    await first.stop();
    await first.cleanup();
  }
}

async function bareRun(): Promise<Start> {
  const t0 = performance.now();
  const server = await startBenchServer('bare');
  try {
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { readyMs, rssMB: (readProc(server.pid)?.rssBytes ?? NaN) / 2 ** 20 };
  } finally {
    await server.stop();
    await server.cleanup();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function startup(): Promise<string> {
  const runs = FULL ? 3 : 1;
  const storyloom: { fresh: Start; existing: Start }[] = [];
  const bare: Start[] = [];
  for (let i = 0; i < runs; i++) {
    storyloom.push(await storyloomRun());
    bare.push(await bareRun());
  }
  await writeResult('startup', { runs, idleMs: IDLE_MS, storyloom, bare });
  const m = (pick: (s: { fresh: Start; existing: Start }) => number) => median(storyloom.map(pick));
  const b = (pick: (s: Start) => number) => median(bare.map(pick));
  return [
    header(),
    `Medians of ${runs} run(s); bare Hocuspocus keeps nothing, so its "fresh" and "existing" are the same start.`,
    table([
      { label: 'spawn → ready, fresh DATA_DIR (ms)', storyloom: m((s) => s.fresh.readyMs), bare: b((s) => s.readyMs) },
      { label: 'spawn → ready, existing DATA_DIR (ms)', storyloom: m((s) => s.existing.readyMs), bare: b((s) => s.readyMs) },
      { label: `RSS ${IDLE_MS / 1000} s after ready, fresh (MB)`, storyloom: m((s) => s.fresh.rssMB), bare: b((s) => s.rssMB) },
      { label: `RSS ${IDLE_MS / 1000} s after ready, existing (MB)`, storyloom: m((s) => s.existing.rssMB), bare: b((s) => s.rssMB) },
    ]),
  ].join('\n\n');
}
