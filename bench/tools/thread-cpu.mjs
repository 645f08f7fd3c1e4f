#!/usr/bin/env node
/**
 * CPU of each thread of the servers under test, from /proc (what the benchmark sampler sums):
 * run it beside a benchmark to see how a server's CPU splits between its event loop, its PGlite
 * worker, V8's background threads (garbage collection, optimizing compiles) and libuv's pool.
 *
 *   node bench/tools/thread-cpu.mjs [--match 'scripts/start.mjs|bare-server'] [--every 5] &
 *   npm run bench -- many-docs
 *
 * Every `--every` seconds, one line per server process: % of a core per thread over that
 * interval, the main thread (event loop) first with its system (kernel) share, then the others
 * busiest first. Node does not
 * name its threads, so the busiest other thread of a Storyloom process under load is its PGlite
 * worker (check against the worker's own --cpu-prof); V8's background threads are the 4
 * similar ones. Stops when no matching process is left after one was seen.
 */
import { readdirSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const match = new RegExp(opt('match', 'scripts/start\\.mjs|src/main\\.ts|bare-server\\.ts'));
const everyMs = Number(opt('every', '5')) * 1000;
const TICKS = 100; // USER_HZ on Linux

function servers() {
  const found = [];
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

function threads(pid) {
  const out = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]), system: Number(fields[12]) });
      } catch {
        // thread ended
      }
    }
  } catch {
    // process ended
  }
  return out;
}

let seen = false;
let last = new Map(); // pid -> {at, threads}
const started = Date.now();
for (;;) {
  const now = Date.now();
  const pids = servers();
  if (pids.length > 0) seen = true;
  else if (seen) break;
  const next = new Map();
  for (const pid of pids) {
    const current = threads(pid);
    next.set(pid, { at: now, threads: current });
    const before = last.get(pid);
    if (!before) continue;
    const seconds = (now - before.at) / 1000;
    const pct = (tid) => ((current.get(tid).ticks - (before.threads.get(tid)?.ticks ?? current.get(tid).ticks)) / TICKS / seconds) * 100;
    const others = [...current.keys()].filter((tid) => tid !== pid).map((tid) => ({ tid, name: current.get(tid).name, pct: pct(tid) }));
    others.sort((a, b) => b.pct - a.pct);
    const total = pct(pid) + others.reduce((n, o) => n + o.pct, 0);
    const rest = others.filter((o) => o.pct >= 0.05).map((o) => `${o.name === 'node' ? '' : `${o.name} `}${o.pct.toFixed(1)}`);
    // The main thread's kernel share: its socket writes and reads are system time.
    const mainSystem = ((current.get(pid).system - (before.threads.get(pid)?.system ?? current.get(pid).system)) / TICKS / seconds) * 100;
    console.log(`${((now - started) / 1000).toFixed(0).padStart(4)} s pid ${pid}: total ${total.toFixed(1)} %, main ${pct(pid).toFixed(1)} % (system ${mainSystem.toFixed(1)}), others ${rest.join(' ')}`);
  }
  last = next;
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
