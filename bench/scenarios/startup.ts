/**
 * startup: how long a server takes from spawn until `/readyz` answers 200 (Storyloom) or it
 * listens (bare Hocuspocus has no /readyz), and its RSS after 3 s idle. Storyloom runs two ways,
 * each first on a fresh DATA_DIR (PGlite from the install-time template, or initdb without one),
 * then again on the same directory: as `npm start` runs it (`node scripts/start.mjs`: the
 * .start/ bundle, built once before the runs so no run pays for a rebuild; the other scenarios
 * run it so too), and as the tests run it (`node --import tsx src/main.ts`). The goals (for
 * `npm start`): ≤ 2 s fresh, ≤ 1 s existing, ≤ 250 MB idle.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL, header, table, writeResult } from '../lib/report.js';
import { readProc, startBenchServer, type BenchServer } from '../lib/server-procs.js';

const IDLE_MS = 3_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });

/** `npm start` without npm (npm's own start-up is not the server's): spawn → /readyz → idle RSS. */
async function npmStartOnce(dataDir: string): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const server = { pid: child.pid!, wsUrl: `ws://127.0.0.1:${port}/collaboration` } as BenchServer;
    return await readyAndIdle(server, t0);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function npmStartRun(): Promise<{ fresh: Start; existing: Start }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-bench-'));
  try {
    return { fresh: await npmStartOnce(dataDir), existing: await npmStartOnce(dataDir) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function storyloomRun(): Promise<{ fresh: Start; existing: Start }> {
  let t0 = performance.now();
  const first = await startBenchServer('storyloom', { runtime: 'tsx' });
  let second: BenchServer | undefined;
  try {
    const fresh = await readyAndIdle(first, t0);
    await first.stop();
    t0 = performance.now();
    second = await startBenchServer('storyloom', { dataDir: first.dataDir!, runtime: 'tsx' });
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
  // The first `npm start` after an edit transpiles src/ (~1 s): done here, outside the timings.
  spawnSync(process.execPath, ['scripts/build-start.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const npmStart: { fresh: Start; existing: Start }[] = [];
  const storyloom: { fresh: Start; existing: Start }[] = [];
  const bare: Start[] = [];
  const loadAverage: number[] = [];
  for (let i = 0; i < runs; i++) {
    npmStart.push(await npmStartRun());
    storyloom.push(await storyloomRun());
    bare.push(await bareRun());
    loadAverage.push(loadavg()[0]!);
  }
  await writeResult('startup', { runs, idleMs: IDLE_MS, npmStart, storyloom, bare, loadAverage });
  const m = (of: typeof storyloom, pick: (s: { fresh: Start; existing: Start }) => number) => median(of.map(pick));
  const b = (pick: (s: Start) => number) => median(bare.map(pick));
  const rows = (name: string, of: typeof storyloom) => [
    { label: `${name}: spawn → ready, fresh DATA_DIR (ms)`, storyloom: m(of, (s) => s.fresh.readyMs), bare: b((s) => s.readyMs) },
    { label: `${name}: spawn → ready, existing DATA_DIR (ms)`, storyloom: m(of, (s) => s.existing.readyMs), bare: b((s) => s.readyMs) },
    { label: `${name}: RSS ${IDLE_MS / 1000} s after ready, fresh (MB)`, storyloom: m(of, (s) => s.fresh.rssMB), bare: b((s) => s.rssMB) },
    { label: `${name}: RSS ${IDLE_MS / 1000} s after ready, existing (MB)`, storyloom: m(of, (s) => s.existing.rssMB), bare: b((s) => s.rssMB) },
  ];
  return [
    header(),
    `Medians of ${runs} run(s); 1-minute load average after each run: ${loadAverage.map((l) => l.toFixed(2)).join(', ')} (2 cores). Bare Hocuspocus keeps nothing, so its "fresh" and "existing" are the same start.`,
    table([...rows('npm start', npmStart), ...rows('tsx src/main.ts', storyloom)]),
  ].join('\n\n');
}
