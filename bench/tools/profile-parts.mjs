#!/usr/bin/env node
/**
 * Splits a server's CPU profile into the parts BENCHMARKS.md's "Where the rest goes" tables use.
 *
 *   BENCH_STORYLOOM_RUNTIME=tsx BENCH_SERVER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench -- hot-doc
 *   node bench/tools/profile-parts.mjs /tmp/prof/CPU.….cpuprofile --from 6 --to 17 [--edits 1100] [--timeline]
 *
 * Each sample goes to the part of the innermost frame that belongs to one (so a send made inside
 * our ack gate's wrapper counts as sending, a Yjs apply inside persistence as Yjs); samples with
 * no such frame are "other". Run under tsx so frames carry src/ paths (the .start/ bundle has
 * one file per chunk). The profiler samples wall-clock stacks: time a thread spends preempted
 * counts where it stopped, so the parts add up to more than the CPU /proc reports.
 */
import { readFileSync } from 'node:fs';

const PARTS = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['random ids (Hocuspocus: a scratch Y.Doc per awareness message)', (f) => /randomFillSync|uuidv4/.test(f.functionName)],
  ['database (PGlite proxy, drizzle, repositories)', (f) => /src\/db\/(pglite|client|drizzle|repositories|event-archive)|drizzle-orm|@electric-sql/.test(f.url)],
  ['durable log (update log, outbox, ack gate)', (f) => /src\/db\/update-log|update-outbox|ack-gate|group-commit|document-store/.test(f.url)],
  ['persistence, compaction', (f) => /extensions\/(persistence|compaction)/.test(f.url)],
  ['writing sessions and word counts', (f) => /src\/tracking\/writing|services\/writing|word-credits|relayed-words/.test(f.url)],
  ['presence and conflict prediction', (f) => /presence|src\/tracking\/collab/.test(f.url)],
  ['the document tap and its consumers', (f) => /document-tap|edit-consumers|update-meta/.test(f.url)],
  ['events, archive, notifications, workflows', (f) => /src\/(events|audit|notify|workflows|gateway)\/|services\/(notifications|workflows|archive)/.test(f.url)],
  ['sending (crossws, sockets)', (f) => /crossws|node_modules\/ws\/|node:internal\/stream|node:net/.test(f.url) || /writev|writeGeneric|afterWrite/.test(f.functionName)],
  ['Hocuspocus', (f) => /@hocuspocus/.test(f.url)],
  ['Yjs', (f) => /yjs|lib0|y-protocols/.test(f.url)],
  ['(program: V8 and Node internals)', (f) => f.functionName === '(program)'],
];

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d/.test(a));
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (!file) {
  console.error('usage: node bench/tools/profile-parts.mjs <file.cpuprofile> [--from s] [--to s] [--edits n] [--timeline]');
  process.exit(2);
}
const from = opt('from', 0);
const to = opt('to', Infinity);
const edits = opt('edits', 0);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const partOf = new Map(); // node id -> part (memoized walk to the root)
function part(id) {
  if (partOf.has(id)) return partOf.get(id);
  const frame = nodes.get(id).callFrame;
  const own = PARTS.find(([, match]) => match(frame))?.[0];
  const up = parent.get(id);
  const result = own ?? (up === undefined ? 'other' : part(up));
  partOf.set(id, result);
  return result;
}

const totals = new Map();
const perSecond = new Map();
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  const s = (t - profile.startTime) / 1e6;
  const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i]) / 1000;
  const p = part(profile.samples[i]);
  if (p !== 'idle') perSecond.set(Math.floor(s), (perSecond.get(Math.floor(s)) ?? 0) + ms);
  if (s < from || s > to) continue;
  totals.set(p, (totals.get(p) ?? 0) + ms);
}
if (args.includes('--timeline')) console.log('busy ms per second:', [...perSecond].map(([s, ms]) => `${s}:${ms.toFixed(0)}`).join(' '));
const busy = [...totals].filter(([p]) => p !== 'idle').reduce((n, [, ms]) => n + ms, 0);
console.log(`| part | ms${edits ? ' | µs per edit' : ''} |`);
console.log(`|---|---${edits ? '|---' : ''}|`);
for (const [p, ms] of [...totals].filter(([p]) => p !== 'idle').sort((a, b) => b[1] - a[1])) {
  console.log(`| ${p} | ${ms.toFixed(0)}${edits ? ` | ${((ms * 1000) / edits).toFixed(0)}` : ''} |`);
}
console.log(`| **busy** | **${busy.toFixed(0)}**${edits ? ` | **${((busy * 1000) / edits).toFixed(0)}**` : ''} |`);
