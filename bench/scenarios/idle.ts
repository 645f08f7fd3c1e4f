/**
 * idle: many connections that sync and then only keep their socket and awareness alive (tabs
 * left open). Full: 10,000 connections; quick: 2,000; 10 per document, as in many-docs. Reports
 * the server's RSS growth per connection (KB), its CPU while they idle, and the time from the
 * first connect until every client has synced, with at most 50 handshakes in flight per
 * load-generator process.
 */
import { summarizeRun } from '../lib/compare.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { FULL, WORKERS, header, table, writeResult } from '../lib/report.js';
import { collectGarbage, freePort } from '../lib/inspector.js';
import { SERVER_KINDS, readProc, startBenchServer, type ServerKind } from '../lib/server-procs.js';

/**
 * Storyloom's RSS falls for a few seconds after it starts listening (start-up garbage is
 * collected), which would hide the connections' cost: wait until three readings a second apart
 * agree within 1 MB, at most 20 s.
 */
async function settleRss(pid: number): Promise<void> {
  const readings: number[] = [];
  for (let i = 0; i < 20; i++) {
    readings.push(readProc(pid)?.rssBytes ?? 0);
    const last = readings.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < 2 ** 20) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export async function idle(): Promise<string> {
  const connections = FULL ? 10_000 : 2_000;
  const perDoc = 10;
  const idleSeconds = 20;
  const warmupSeconds = 10;
  const runId = Date.now().toString(36);
  const results: Partial<Record<ServerKind, LoadResult>> = {};
  const before: Partial<Record<ServerKind, number>> = {};
  const after: Partial<Record<ServerKind, number>> = {};
  const heapBefore: Partial<Record<ServerKind, number>> = {};
  const heapAfter: Partial<Record<ServerKind, number>> = {};
  for (const kind of SERVER_KINDS) {
    const inspectPort = await freePort();
    const server = await startBenchServer(kind, { inspectPort });
    try {
      // A warm-up round that connects and leaves: Storyloom's heap gives start-up garbage back
      // only once connections start allocating, which would otherwise show as a negative cost.
      await runLoad(server, { label: `idle-${runId}-${kind}-warm`, docs: connections / perDoc / 4, writersPerDoc: perDoc, editsPerSecond: 0, caretHz: 0, seconds: 2, workers: WORKERS, drainMs: 0 }, () => {});
      heapBefore[kind] = await collectGarbage(inspectPort);
      await settleRss(server.pid);
      before[kind] = (readProc(server.pid)?.rssBytes ?? NaN) / 2 ** 20;
      results[kind] = await runLoad(server, {
        label: `idle-${runId}-${kind}`,
        docs: connections / perDoc,
        writersPerDoc: perDoc,
        editsPerSecond: 0,
        caretHz: 0,
        seconds: idleSeconds,
        warmupSeconds,
        workers: WORKERS,
        drainMs: 0,
      });
      summarizeRun(results[kind], console.log);
      heapAfter[kind] = await collectGarbage(inspectPort);
      after[kind] = (readProc(server.pid)?.rssBytes ?? NaN) / 2 ** 20;
    } finally {
      await server.cleanup();
    }
  }
  const s = results.storyloom!;
  const b = results.bare!;
  const synced = (r: LoadResult) => r.connections - r.connectFailed;
  const kbPer = (kind: ServerKind) => ((after[kind]! - before[kind]!) * 1024) / synced(results[kind]!);
  const heapKbPer = (kind: ServerKind) => (heapAfter[kind]! - heapBefore[kind]!) / 1024 / synced(results[kind]!);
  await writeResult('idle', { heapBefore, heapAfter, heapKbPerConnection: { storyloom: heapKbPer('storyloom'), bare: heapKbPer('bare') }, connections, perDoc, idleSeconds, warmupSeconds, results, rssBeforeMb: before, rssAfterMb: after, kbPerConnection: { storyloom: kbPer('storyloom'), bare: kbPer('bare') } });
  return [
    header(),
    `${connections.toLocaleString('en-US')} idle connections (one provider and socket each, ${perDoc} per document), awareness set, no edits, ${idleSeconds} s idle after the last sync. KB per connection = (RSS with all connected − RSS before connecting) ÷ connections, both read after a full garbage collection (through the inspector) once the RSS settled, and after a warm-up round of a quarter as many connections has come and gone. CPU is the last ${idleSeconds - warmupSeconds} s (the first ${warmupSeconds} s still hold the connect burst's tail).`,
    '',
    table([
      { label: 'connections synced', storyloom: synced(s), bare: synced(b), digits: 0 },
      { label: 'time until all synced (s)', storyloom: s.connectMs / 1000, bare: b.connectMs / 1000, digits: 2 },
      { label: 'server RSS before connecting, after a full GC (MB)', storyloom: before.storyloom!, bare: before.bare!, digits: 0 },
      { label: 'server RSS with all connected, after a full GC (MB)', storyloom: after.storyloom!, bare: after.bare!, digits: 0 },
      { label: 'server RSS per connection (KB)', storyloom: kbPer('storyloom'), bare: kbPer('bare'), digits: 1 },
      { label: 'main-thread V8 heap per connection, after a full GC (KB)', storyloom: heapKbPer('storyloom'), bare: heapKbPer('bare'), digits: 1 },
      { label: 'server CPU while idle (% of a core)', storyloom: s.serverUsage.cpuPercent, bare: b.serverUsage.cpuPercent, digits: 1 },
    ]),
  ].join('\n');
}
