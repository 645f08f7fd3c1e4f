import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connectWriter, report, startFaultServer, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { scrapeMetrics, type Scrape } from '../helpers/metrics-scrape.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Load, then everyone leaves: N writers (FAULT_LOAD_WRITERS; 50, for 20 s) on
 * N/5 documents type one character every few seconds for FAULT_LOAD_SECONDS, then all
 * disconnect. Read through /metrics after a forced GC (tests/helpers/gc-on-signal.mjs): heap
 * and RSS back within 10 % of the start, no document loaded, no socket open, no more timers or
 * handles than at the start. The start is measured after a warm-up round of the same size
 * (every writer connects, types at the load's pace for WARMUP_TYPING_MS, and leaves), so one-time costs (JIT,
 * prepared statements, pools, caches filled once) and the high-water marks of memory a process
 * never hands back (PGlite's WebAssembly memory grows and cannot shrink; malloc arenas; socket
 * buffers) are not counted as leaks: what a leak keeps grows again with the measured round.
 * Why the whole size: since the embedded server starts at ~250 MB RSS instead of ~600 MB, the
 * growth of those high-water marks from a 10 % warm-up to the full load (~30 MB) was 12 % of
 * the start while the heap stayed within 5 %.
 */
// The heap used to grow with every edit ever made: the in-process bus kept every event up to
// the Redis-sized retention (250,000 per busy category). Heap snapshots before and after
// (FAULT_HEAPSNAPSHOT_DIR, tests/helpers/heap-diff.mjs) showed it; it now keeps only what a
// consumer has not read plus MEMORY_BUS_KEEP_CONSUMED (docs/reliability.md): 200 writers x 60 s
// went from +41 % to +7.5 %. CI runs 50 writers for 20 s; FAULT_LOAD_WRITERS/FAULT_LOAD_SECONDS
// scale it up. 1,000 x 300 s (issue 13) then still failed (heap +21 %): no per-edit growth
// without bound, but state with a lifetime longer than this test (open writing sessions and
// presence of unloaded documents, kept 15 min: TIMEOUTS below) and the consumers' dedupe windows
// filling to their 20,000 ids (now preallocated typed arrays, src/events/seen-ids.ts).
const WRITERS = Number(process.env.FAULT_LOAD_WRITERS ?? 50);
const SECONDS = Number(process.env.FAULT_LOAD_SECONDS ?? 20);
const TYPE_EVERY_MS = Number(process.env.FAULT_LOAD_TYPE_EVERY_MS ?? 3_000);
const PER_DOC = 5;
/**
 * The warm-up types at the load's pace for a fifth of the load (at most 60 s): with 2 edits per
 * writer it reached neither the compiled code of the hot paths nor the allocator's and PGlite's
 * high-water marks, and at 1,000 writers those alone were over the bound (docs/reliability.md).
 */
const WARMUP_TYPING_MS = Number(process.env.FAULT_LOAD_WARMUP_SECONDS ?? Math.min(60, SECONDS / 5)) * 1_000;
const GC_PRELOAD = fileURLToPath(new URL('../helpers/gc-on-signal.mjs', import.meta.url));
/**
 * Deferred work finishes before the end is measured: the embedded update log keeps folded
 * updates in memory until its next reclaim makes the fold durable (every 10 s, src/db/client.ts),
 * and the memory bus trims entries its consumers have read on their next read.
 */
const SETTLE_MS = 15_000;
/**
 * State the product keeps for a set time after the writers leave, by design: a writing session
 * ends 15 min after its last input (SessionTable, live store, minute buckets: ~8.7 MB for 1,000
 * writers), and presence of a document nobody is on stays readable 15 min (~2.5 MB for 200). The
 * server here runs both with 30 s (WRITING_*_AFTER_MS, PRESENCE_IDLE_RETENTION_MS) and both
 * measurements wait past them, so they compare a server holding none of it, and state that
 * outlives its time (a leak) is still counted. Session ends are found by the 5 s writing tick
 * and the ended sessions dropped at the next one: the wait is the timeout plus two ticks.
 */
const TIMEOUTS = { WRITING_PAUSE_AFTER_MS: '10000', WRITING_BREAK_AFTER_MS: '20000', WRITING_END_AFTER_MS: '30000', PRESENCE_IDLE_RETENTION_MS: '30000' };
const AFTER_LEAVING_MS = Math.max(SETTLE_MS, 30_000 + 2 * 5_000 + 5_000);

interface Sample {
  rss: number;
  heap: number;
  /** V8 heap committed, and memory outside it (Buffers, WebAssembly): where RSS above the heap sits. */
  heapTotal: number;
  external: number;
  connections: number;
  documents: number;
  /** Active refed timers (after afterGc: the median over several scrapes, see TIMER_SCRAPES). */
  timers: number;
  handles: number;
  /** Registry entries: connection registry sockets, persistence per-document state, pending appends. */
  held: number;
}

function sample(m: Scrape): Sample {
  return {
    rss: m.get('process_resident_memory_bytes'),
    heap: m.get('nodejs_heap_size_used_bytes'),
    heapTotal: m.get('nodejs_heap_size_total_bytes'),
    external: m.get('nodejs_external_memory_bytes'),
    connections: m.get('storyloom_connections'),
    documents: m.get('storyloom_documents_loaded'),
    timers: m.raw.get('nodejs_active_resources{type="Timeout"}') ?? 0,
    // Sockets are left out: the test's own keep-alive HTTP connections to /metrics come and go.
    handles: [...m.raw].filter(([k]) => k.startsWith('nodejs_active_handles{') && !k.includes('type="Socket"')).reduce((n, [, v]) => n + v, 0),
    held: m.get('storyloom_connection_registry_sockets') + m.get('storyloom_persistence_documents') + m.get('storyloom_persistence_pending_appends'),
  };
}

/**
 * Refed timers of an idle server come and go with its polling loops: the four bus consumers'
 * blocked reads and the notification outbox's 1 s poll each hold a timer only between rounds.
 * A single scrape read 4 at the start and 5 at the end of a 400-writer run whose two heap
 * snapshots held the same 16 Timeout objects, loop for loop. The fewest of 10 scrapes failed the
 * same way (4 at the start, 5 at the end, on Postgres + Redis): 40 scrapes show the count sitting
 * at 5 with single dips to 3 or 4, so a minimum compares dips, not timers. A leaked timer is there
 * in every scrape and raises the median; a poll between rounds does not: the median of
 * TIMER_SCRAPES scrapes (6 s) is compared, and the sequences are printed.
 */
const TIMER_SCRAPES = 40;

/** Forces a GC in the server (SIGUSR2, see gc-on-signal.mjs) and reads /metrics after it. */
async function afterGc(server: ServerProcess): Promise<Sample> {
  const done = server.lines.filter((l) => l.includes('test-gc-done')).length;
  server.child.kill('SIGUSR2');
  await vi.waitFor(() => expect(server.lines.filter((l) => l.includes('test-gc-done')).length).toBeGreaterThan(done), { timeout: process.env.FAULT_HEAPSNAPSHOT_DIR ? 120_000 : 10_000, interval: 20 });
  const first = sample(await scrapeMetrics(server.httpUrl));
  const seen = [first.timers];
  for (let i = 1; i < TIMER_SCRAPES; i++) {
    await delay(150);
    seen.push(sample(await scrapeMetrics(server.httpUrl)).timers);
  }
  console.log(`[load-leaks] active timers over ${TIMER_SCRAPES} scrapes 150 ms apart: ${seen.join(' ')}`);
  const sorted = [...seen].sort((a, b) => a - b);
  return { ...first, timers: sorted[Math.floor(sorted.length / 2)]! };
}

/** Connects `count` writers in batches (a thousand sockets at once would only measure the accept queue). */
async function connectMany(server: ServerProcess, count: number, prefix: string): Promise<FaultWriter[]> {
  const docs = Array.from({ length: Math.ceil(count / PER_DOC) }, () => `book/${uniqueName(prefix)}`);
  const writers: FaultWriter[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch: FaultWriter[] = [];
    for (let j = i; j < Math.min(count, i + 50); j++) {
      // One user per writer, as in real life (the per-user socket limit applies to each).
      const user = `${prefix}${j}`;
      batch.push(connectWriter(server.wsUrl, docs[Math.floor(j / PER_DOC)]!, await writerToken(user), user, j % PER_DOC));
    }
    writers.push(...batch);
    await vi.waitFor(() => expect(batch.every((w) => w.provider.isSynced)).toBe(true), { timeout: 60_000, interval: 50 });
  }
  return writers;
}

/** Each writer types one character every TYPE_EVERY_MS, spread evenly over that period. */
function typeSlowly(writers: FaultWriter[]): { stop(): void } {
  let next = 0;
  const step = Math.max(1, Math.round(TYPE_EVERY_MS / writers.length));
  const perTick = Math.max(1, Math.round((writers.length * step) / TYPE_EVERY_MS));
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; k++) writers[next++ % writers.length]!.typeOne();
  }, step);
  return { stop: () => clearInterval(timer) };
}

async function leaveAll(server: ServerProcess, writers: FaultWriter[]): Promise<number> {
  await vi.waitFor(() => expect(writers.every((w) => w.provider.unsyncedChanges === 0)).toBe(true), { timeout: 60_000, interval: 100 });
  const leftAt = Date.now();
  writers.forEach((w) => w.destroy());
  await vi.waitFor(async () => {
    const s = sample(await scrapeMetrics(server.httpUrl));
    expect(s.connections).toBe(0);
    expect(s.documents).toBe(0);
  }, { timeout: 120_000, interval: 250 });
  return Date.now() - leftAt;
}

describe(`load and leaks: ${WRITERS} writers for ${SECONDS} s, then all leave`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('returns to its starting memory with no documents, sockets or timers left', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-fault-load-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // Every simulated writer comes from this one machine: the per-IP socket limit is raised to fit.
    const server = await startFaultServer({
      DATA_DIR: dataDir,
      NODE_OPTIONS: `--import=${GC_PRELOAD}`,
      MAX_CONNECTIONS_PER_IP: String(WRITERS * 2 + 100),
      ...TIMEOUTS,
      // A heap snapshot after each forced GC, for finding what a failing run retains (slow: diagnosis only).
      ...(process.env.FAULT_HEAPSNAPSHOT_DIR ? { TEST_HEAPSNAPSHOT_DIR: process.env.FAULT_HEAPSNAPSHOT_DIR } : {}),
    });
    cleanups.push(async () => {
      if (server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });

    // Warm-up round, then the baseline.
    const warm = await connectMany(server, WRITERS, 'warm');
    const warmTyping = typeSlowly(warm);
    const warmUntil = Date.now() + WARMUP_TYPING_MS;
    await vi.waitFor(() => expect(warm.every((w) => w.acked() >= 2)).toBe(true), { timeout: 60_000, interval: 100 });
    await delay(Math.max(0, warmUntil - Date.now()));
    warmTyping.stop();
    await leaveAll(server, warm);
    await delay(AFTER_LEAVING_MS);
    const start = await afterGc(server);

    // The load.
    const connectAt = Date.now();
    const writers = await connectMany(server, WRITERS, 'load');
    const connectMs = Date.now() - connectAt;
    const typing = typeSlowly(writers);
    const loadUntil = Date.now() + SECONDS * 1_000;
    let peak = sample(await scrapeMetrics(server.httpUrl));
    while (Date.now() < loadUntil) {
      // The load runs for a wall-clock duration; the server is sampled every 5 s meanwhile.
      await delay(Math.min(5_000, Math.max(0, loadUntil - Date.now())));
      const s = sample(await scrapeMetrics(server.httpUrl));
      peak = { ...s, rss: Math.max(peak.rss, s.rss), heap: Math.max(peak.heap, s.heap) };
    }
    typing.stop();
    const typed = writers.reduce((n, w) => n + w.typed(), 0);
    const unloadMs = await leaveAll(server, writers);
    const acked = writers.reduce((n, w) => n + w.acked(), 0);
    await delay(AFTER_LEAVING_MS);
    const end = await afterGc(server);

    const pct = (a: number, b: number) => Math.round(((a - b) / b) * 1000) / 10;
    report(`load-leaks`, {
      writers: WRITERS,
      documents: Math.ceil(WRITERS / PER_DOC),
      seconds: SECONDS,
      connectMs,
      editsSent: typed,
      editsAcked: acked,
      peakConnections: peak.connections,
      peakDocuments: peak.documents,
      peakRssMB: Math.round(peak.rss / 1e6),
      peakHeapMB: Math.round(peak.heap / 1e6),
      startRssMB: Math.round(start.rss / 1e6),
      endRssMB: Math.round(end.rss / 1e6),
      rssChangePct: pct(end.rss, start.rss),
      startHeapMB: Math.round(start.heap / 1e6),
      endHeapMB: Math.round(end.heap / 1e6),
      heapChangePct: pct(end.heap, start.heap),
      heapCommittedStartEndMB: `${Math.round(start.heapTotal / 1e6)}/${Math.round(end.heapTotal / 1e6)}`,
      externalStartEndMB: `${Math.round(start.external / 1e6)}/${Math.round(end.external / 1e6)}`,
      timersStartEnd: `${start.timers}/${end.timers}`,
      nonSocketHandlesStartEnd: `${start.handles}/${end.handles}`,
      connectionsEnd: end.connections,
      documentsEnd: end.documents,
      registryEntriesEnd: end.held,
      allLeftToUnloadedMs: unloadMs,
    });
    expect(acked).toBe(typed);
    expect(end.connections).toBe(0);
    expect(end.documents).toBe(0);
    expect(end.held).toBe(0);
    expect(end.timers).toBeLessThanOrEqual(start.timers);
    expect(end.handles).toBeLessThanOrEqual(start.handles);
    expect(end.heap).toBeLessThanOrEqual(start.heap * 1.1);
    expect(end.rss).toBeLessThanOrEqual(start.rss * 1.1);
  }, (SECONDS + WARMUP_TYPING_MS / 1_000 + 480) * 1_000); // the load itself, plus connecting, warm-up, leaving (twice past the timeouts) and GC
});
