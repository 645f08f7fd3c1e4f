/**
 * The servers under test, each in its own process: Storyloom (as `npm start` runs it, on PGlite
 * in a temp DATA_DIR; BENCH_STORYLOOM_RUNTIME=tsx runs src/main.ts through tsx instead) and the bare Hocuspocus baseline (bench/bare-server.ts). Both listen on 127.0.0.1
 * only. A sampler reads the child's CPU and RSS from /proc once a second, because
 * process.cpuUsage() sees only the calling process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../../tests/helpers/server-process.js';
import { CLK_TCK, cpuTicks } from './proc-stat.js';

export type ServerKind = 'storyloom' | 'bare';
export const SERVER_KINDS: readonly ServerKind[] = ['storyloom', 'bare'];

export interface BenchServer {
  kind: ServerKind;
  pid: number;
  wsUrl: string;
  /** ms from spawn until the process said it listens. */
  startupMs: number;
  /** Storyloom's data dir (survives `stop`, removed by `cleanup`). */
  dataDir?: string;
  /** SIGTERM (SIGKILL with `kill: true`); resolves once the process is gone, at most 35 s. */
  stop(options?: { kill?: boolean }): Promise<void>;
  cleanup(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts a server of `kind`; pass `dataDir` to reopen an earlier Storyloom's storage. */
export async function startBenchServer(
  kind: ServerKind,
  options: { dataDir?: string; inspectPort?: number; runtime?: 'tsx' | 'start'; env?: Record<string, string> } = {},
): Promise<BenchServer> {
  const t0 = performance.now();
  // For bench/lib/inspector.ts collectGarbage (the idle scenario's memory per connection).
  // BENCH_SERVER_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the servers
  // under test without touching the load generator.
  const nodeOptions = [options.inspectPort ? `--inspect=127.0.0.1:${options.inspectPort}` : '', process.env.BENCH_SERVER_NODE_OPTIONS ?? ''].join(' ').trim();
  const inspect: Record<string, string> = nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  if (kind === 'storyloom') {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'storyloom-bench-')));
    // A fresh PGlite data folder (initdb) alone can take 25-40 s on two busy cores: the tests' 30 s
    // start limit would end a run before it measured anything.
    // What `npm start` runs (the .start/ bundle), unless BENCH_STORYLOOM_RUNTIME=tsx or the caller says.
    const runtime = options.runtime ?? (process.env.BENCH_STORYLOOM_RUNTIME === 'tsx' ? 'tsx' : 'start');
    const proc = await startServerProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'info', ...serverEnv(), ...inspect, ...options.env }, { startTimeoutMs: 120_000, runtime });
    // startServerProcess keeps reading stdout (so the pipe never blocks the server) and keeps
    // every line; start empty so a long run holds only its own lines.
    proc.lines.length = 0;
    return wrap(kind, proc.child, proc.wsUrl, performance.now() - t0, proc.exited, dataDir);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...inspect },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare server did not start in 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { port?: number };
        if (entry.port) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not ours
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bare server exited (${code}) before listening`));
    });
  });
  return wrap(kind, child, `ws://127.0.0.1:${port}/collaboration`, performance.now() - t0, exited);
}

function wrap(kind: ServerKind, child: ChildProcess, wsUrl: string, startupMs: number, exited: Promise<unknown>, dataDir?: string): BenchServer {
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    kind,
    pid: child.pid!,
    wsUrl,
    startupMs,
    ...(dataDir ? { dataDir } : {}),
    async stop({ kill = false } = {}) {
      if (gone) return;
      child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(timer);
    },
    async cleanup() {
      await this.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ProcSample {
  /** ms since the sampler started. */
  t: number;
  /** user + system CPU seconds so far. */
  cpuSeconds: number;
  rssBytes: number;
}

export interface ProcUsage {
  /** Mean CPU over the window, in % of one core. */
  cpuPercent: number;
  /** Highest CPU over any one-second sample, % of one core. */
  cpuPeakPercent: number;
  rssStartMb: number;
  rssEndMb: number;
  rssPeakMb: number;
}

/** Reads utime+stime and VmRSS of `pid`; undefined once the process is gone. */
export function readProc(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const ticks = cpuTicks(pid);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / CLK_TCK, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of every process named `comm` (e.g. Postgres's backends, checkpointer and WAL
 * writer: "postgres"), so a run on Postgres can report the database's own CPU beside the
 * server's. Counts every such process on the machine: meaningful on a quiet one only.
 */
export function cpuSecondsOf(comm: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) ticks += cpuTicks(entry);
    } catch {
      // gone between the listing and the read
    }
  }
  return ticks / CLK_TCK;
}

export interface ProcSampler {
  latest(): ProcSample | undefined;
  /** Starts a measurement window; `end()` returns the usage inside it. */
  mark(): { end(): ProcUsage };
  stop(): void;
}

/** Samples `pid` every `intervalMs` (default 1 s) until stopped or the process is gone. */
export function sampleProcess(pid: number, intervalMs = 1_000): ProcSampler {
  const t0 = performance.now();
  const samples: ProcSample[] = [];
  const take = () => {
    const reading = readProc(pid);
    if (reading) samples.push({ t: performance.now() - t0, ...reading });
    return reading;
  };
  take();
  const timer = setInterval(() => {
    if (!take()) clearInterval(timer);
  }, intervalMs);
  timer.unref();
  return {
    latest: () => samples.at(-1),
    mark() {
      take();
      const from = samples.length - 1;
      return {
        end() {
          take();
          const window = samples.slice(Math.max(0, from));
          return usageOf(window);
        },
      };
    },
    stop: () => clearInterval(timer),
  };
}

function usageOf(window: ProcSample[]): ProcUsage {
  const first = window[0];
  const last = window.at(-1);
  if (!first || !last || last.t <= first.t) return { cpuPercent: NaN, cpuPeakPercent: NaN, rssStartMb: NaN, rssEndMb: NaN, rssPeakMb: NaN };
  let peak = 0;
  for (let i = 1; i < window.length; i++) {
    const dt = window[i]!.t - window[i - 1]!.t;
    if (dt >= 200) peak = Math.max(peak, ((window[i]!.cpuSeconds - window[i - 1]!.cpuSeconds) * 1e5) / dt);
  }
  const mb = (b: number) => b / 2 ** 20;
  return {
    cpuPercent: ((last.cpuSeconds - first.cpuSeconds) * 1e5) / (last.t - first.t),
    cpuPeakPercent: peak,
    rssStartMb: mb(first.rssBytes),
    rssEndMb: mb(last.rssBytes),
    rssPeakMb: mb(Math.max(...window.map((s) => s.rssBytes))),
  };
}

/** Server settings a benchmark run may vary (e.g. `DURABLE_ACK=false npm run bench -- many-docs`). */
const PASSED_THROUGH = ['DATABASE_URL', 'REDIS_URL', 'DURABLE_ACK', 'REAL_TIME_TRACKING_ENABLED', 'GROUP_COMMIT_MAX_BATCH', 'GROUP_COMMIT_MAX_DELAY_MS'];

function serverEnv(): Record<string, string> {
  // Every simulated client connects from loopback: the per-address socket and request limits
  // meant for the public would cap the load.
  const env: Record<string, string> = { MAX_CONNECTIONS_PER_IP: '0', REST_REQUESTS_PER_SECOND: '1000000', REST_REQUEST_BURST: '10000000' };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
