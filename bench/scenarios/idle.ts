/**
 * idle: many connections that sync and then only keep their socket and awareness alive (tabs
 * left open). Full: 10,000 connections; quick: 2,000; 10 per document, as in many-docs. Reports
 * the server's RSS growth per connection (KB) and the time from the first connect until every
 * client has synced, with at most 50 handshakes in flight per load-generator process. RSS per
 * connection is the RSS slope between a quarter-size warm-up round and the full round.
 */
import { summarizeRun } from '../lib/compare.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { FULL, WORKERS, header, table, writeResult } from '../lib/report.js';
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
  const runId = Date.now().toString(36);
  const results: Partial<Record<ServerKind, LoadResult>> = {};
  const small: Partial<Record<ServerKind, LoadResult>> = {};
  const spec = (kind: ServerKind, n: number) => ({
    label: `idle-${runId}-${kind}-${n}`,
    docs: n / perDoc,
    writersPerDoc: perDoc,
    editsPerSecond: 0,
    caretHz: 0,
    seconds: 5,
    workers: WORKERS,
    drainMs: 0,
  });
  for (const kind of SERVER_KINDS) {
    const server = await startBenchServer(kind);
    try {
      await settleRss(server.pid);
      // A first, smaller round warms the heap up: the per-connection figure is the slope between
      // the two rounds, since a baseline taken before any connection is distorted by start-up
      // garbage that Storyloom's heap gives back only once connections start allocating.
      small[kind] = await runLoad(server, spec(kind, connections / 4));
      // 5 s of idling after the last sync lets the RSS settle before it is read.
      results[kind] = await runLoad(server, spec(kind, connections));
      summarizeRun(results[kind], console.log);
    } finally {
      await server.cleanup();
    }
  }
  const s = results.storyloom!;
  const b = results.bare!;
  const synced = (r: LoadResult) => r.connections - r.connectFailed;
  const kbPer = (kind: ServerKind) => {
    const [lo, hi] = [small[kind]!, results[kind]!];
    return ((hi.serverUsage.rssEndMb - lo.serverUsage.rssEndMb) * 1024) / (synced(hi) - synced(lo));
  };
  await writeResult('idle', { connections, perDoc, results, warmUp: small, kbPerConnection: { storyloom: kbPer('storyloom'), bare: kbPer('bare') } });
  return [
    header(),
    `${connections.toLocaleString('en-US')} idle connections (one provider and socket each, ${perDoc} per document), awareness set, no edits; RSS read after 5 s idle; KB per connection is the RSS slope between a first round of ${(connections / 4).toLocaleString('en-US')} and the full round.`,
    '',
    table([
      { label: 'connections synced', storyloom: s.connections - s.connectFailed, bare: b.connections - b.connectFailed, digits: 0 },
      { label: 'time until all synced (s)', storyloom: s.connectMs / 1000, bare: b.connectMs / 1000, digits: 2 },
      { label: `server RSS with ${(connections / 4).toLocaleString('en-US')} connected (MB)`, storyloom: small.storyloom!.serverUsage.rssEndMb, bare: small.bare!.serverUsage.rssEndMb, digits: 0 },
      { label: 'server RSS with all connected (MB)', storyloom: s.serverUsage.rssEndMb, bare: b.serverUsage.rssEndMb, digits: 0 },
      { label: 'server RSS per connection (KB)', storyloom: kbPer('storyloom'), bare: kbPer('bare'), digits: 1 },
      { label: 'server CPU while idle (% of a core)', storyloom: s.serverUsage.cpuPercent, bare: b.serverUsage.cpuPercent, digits: 1 },
    ]),
  ].join('\n');
}
