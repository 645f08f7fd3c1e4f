/**
 * CPU of each thread of the servers under test, from /proc (what the benchmark sampler sums):
 * run it beside a benchmark to see how a server's CPU splits between its event loop, its PGlite
 * worker, V8's background threads (garbage collection, optimizing compiles) and libuv's pool.
 *
 *   npx tsx bench/tools/thread-cpu.ts [--match 'scripts/start.mjs|bare-server'] [--every 5] &
 *   npm run bench -- many-docs
 *
 * Every `--every` seconds, one line per server process: % of a core per thread over that
 * interval, the main thread (event loop) first with its system (kernel) share, then the others
 * busiest first. Node does not name its threads, so the busiest other thread of a Storyloom
 * process under load is its PGlite worker (check against the worker's own --cpu-prof); V8's
 * background threads are the 4 similar ones. Stops when no matching process is left after one
 * was seen.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK, threadTicks, type StatTicks } from '../lib/proc-stat.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const match = new RegExp(option('match', 'scripts/start\\.mjs|src/main\\.ts|bare-server\\.ts'));
const everyMs = Number(option('every', '5')) * 1000;

/** Pids of the servers under test (not npm, not this tool). */
function servers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (match.test(cmd) && !/\bnpm\b|thread-cpu/.test(cmd)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

let seen = false;
let last = new Map<string, { at: number; threads: Map<string, StatTicks> }>();
const started = Date.now();
for (;;) {
  const now = Date.now();
  const pids = servers();
  if (pids.length > 0) seen = true;
  else if (seen) break;
  const next = new Map<string, { at: number; threads: Map<string, StatTicks> }>();
  for (const pid of pids) {
    const current = threadTicks(pid);
    next.set(pid, { at: now, threads: current });
    const before = last.get(pid);
    if (!before || !current.has(pid)) continue;
    const seconds = (now - before.at) / 1000;
    const percent = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
    const used = (tid: string, of: (t: StatTicks) => number) => {
      const then = before.threads.get(tid);
      return then ? percent(of(current.get(tid)!) - of(then)) : 0;
    };
    const total = (t: StatTicks) => t.user + t.system;
    const others = [...current.keys()].filter((tid) => tid !== pid).map((tid) => ({ name: current.get(tid)!.name, pct: used(tid, total) }));
    others.sort((a, b) => b.pct - a.pct);
    const all = used(pid, total) + others.reduce((n, o) => n + o.pct, 0);
    const rest = others.filter((o) => o.pct >= 0.05).map((o) => `${o.name === 'node' ? '' : `${o.name} `}${o.pct.toFixed(1)}`);
    // The main thread's kernel share: its socket writes and reads are system time.
    const main = `main ${used(pid, total).toFixed(1)} % (system ${used(pid, (t) => t.system).toFixed(1)})`;
    console.log(`${((now - started) / 1000).toFixed(0).padStart(4)} s pid ${pid}: total ${all.toFixed(1)} %, ${main}, others ${rest.join(' ')}`);
  }
  last = next;
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
