/**
 * Runs one load against one server: forks `workers` load-generator processes, spreads
 * `docs × writersPerDoc` writers over them (a document's writers land on different processes,
 * so deliveries cross processes as they cross browsers), types for `seconds`, drains, and
 * computes delivery latency, delivery ratio, convergence and CPU/RSS of both sides.
 * Every wait is bounded; the workers exit on their own after `lifetimeMs` whatever happens.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from '../../tests/helpers/test-server.js';
import { mergeHistograms, summarizeHistogram } from './histogram.js';
import { nextMessage } from './notify-ipc.js';
import type { ClientSpec, ParentMessage, WorkerMessage } from './load-worker.js';
import type { BenchServer, ProcUsage } from './server-procs.js';
import { cpuSecondsOf, sampleProcess } from './server-procs.js';
import type { Summary } from './stats.js';
import type { WriterReport } from './writer.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface LoadSpec {
  /** Unique per run: documents are `bench/<label>-d<i>`, so runs never share a document. */
  label: string;
  docs: number;
  writersPerDoc: number;
  /** Per writer; 0 = idle connections. */
  editsPerSecond: number;
  caretHz: number;
  seconds: number;
  workers: number;
  drainMs: number;
  /**
   * Seconds at the start of the typing window left out of the server's CPU/RSS figures and of
   * `steadyLatencyMs` (the tail of the connect burst: Storyloom still archives join events and
   * starts a writing session per writer then; both servers' JITs are still warming up).
   */
  warmupSeconds?: number;
  /** Handshakes in flight per worker (default 50). */
  connectConcurrency?: number;
}

export interface LoadResult {
  server: string;
  spec: LoadSpec;
  connections: number;
  connectFailed: number;
  /** ms from asking the workers to connect until every client synced (or failed). */
  connectMs: number;
  sent: number;
  expectedDeliveries: number;
  deliveries: number;
  deliveryRatio: number;
  latencyMs: Summary;
  /** Latency of edits sent after `warmupSeconds` (all of them without a warm-up). */
  steadyLatencyMs: Summary;
  docsConverged: number;
  docsDiverged: number;
  disconnects: number;
  serverUsage: ProcUsage;
  /** Storyloom on Postgres (DATABASE_URL): the postgres processes' CPU over the same window, % of a core. */
  databaseCpuPercent?: number;
  serverRssBeforeConnectMb: number;
  serverRssAfterConnectMb: number;
  /** Sum over workers, % of one core, over the typing window. */
  generatorCpuPercent: number;
  /** The busiest worker; near 100 % means the generator, not the server, is the limit. */
  generatorMaxWorkerCpuPercent: number;
}

interface WorkerHandle {
  child: ChildProcess;
  next<T extends WorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<WorkerMessage, { type: T }>>;
  sent: number;
}

function startWorker(): WorkerHandle {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: WorkerHandle = {
    child,
    sent: 0,
    next: (type, timeoutMs) => nextMessage(child, 'load worker', type, timeoutMs) as never,
  };
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'progress') handle.sent = message.sent;
  });
  return handle;
}

const post = (w: WorkerHandle, message: ParentMessage) => w.child.send(message);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Runs `spec` against `server`; `log` gets one progress line a second. */
export async function runLoad(server: BenchServer, spec: LoadSpec, log: (line: string) => void = console.log): Promise<LoadResult> {
  const connections = spec.docs * spec.writersPerDoc;
  const perWorker: ClientSpec[][] = Array.from({ length: spec.workers }, () => []);
  for (let g = 0; g < connections; g++) {
    const doc = Math.floor(g / spec.writersPerDoc);
    perWorker[g % spec.workers]!.push({ document: `bench/${spec.label}-d${doc}`, userId: `w${g}` });
  }
  const connectTimeoutMs = 60_000 + connections * 20;
  const lifetimeMs = connectTimeoutMs + spec.seconds * 1000 + spec.drainMs + 120_000;
  const sampler = sampleProcess(server.pid);
  const workers = perWorker.map(() => startWorker());
  try {
    const rssBefore = sampler.latest()?.rssBytes ?? NaN;
    const t0 = performance.now();
    workers.forEach((w, i) =>
      post(w, { type: 'connect', url: server.wsUrl, clients: perWorker[i]!, secret: TEST_SECRET, concurrency: spec.connectConcurrency ?? 50, timeoutMs: 30_000, lifetimeMs }),
    );
    const ticker = setInterval(() => log(`  ${server.kind}: connecting ${connections} clients… ${fmt((performance.now() - t0) / 1000)} s`), 5_000);
    const connected = await Promise.all(workers.map((w) => w.next('connected', connectTimeoutMs + 30_000))).finally(() => clearInterval(ticker));
    const connectMs = performance.now() - t0;
    const connectFailed = connected.reduce((n, c) => n + c.failed, 0);
    if (connectFailed > 0) log(`  ${server.kind}: ${connectFailed} clients did not sync: ${connected.flatMap((c) => c.errors).slice(0, 3).join('; ')}`);
    log(`  ${server.kind}: ${connections - connectFailed}/${connections} clients synced in ${fmt(connectMs)} ms`);

    const warm = Math.min(spec.warmupSeconds ?? 0, spec.seconds - 1);
    let window = warm > 0 ? undefined : sampler.mark();
    const onPostgres = server.kind === 'storyloom' && Boolean(process.env.DATABASE_URL);
    let database = warm > 0 || !onPostgres ? undefined : { cpu: cpuSecondsOf('postgres'), at: performance.now() };
    const until = Date.now() + spec.seconds * 1000;
    const steadyFrom = until - (spec.seconds - warm) * 1000;
    workers.forEach((w) => post(w, { type: 'go', until, steadyFrom, editsPerSecond: spec.editsPerSecond, caretHz: spec.caretHz }));
    for (let s = 1; s <= spec.seconds; s++) {
      await sleep(Math.max(0, until - (spec.seconds - s) * 1000 - Date.now()));
      if (s === warm) window = sampler.mark();
      if (s === warm && onPostgres) database = { cpu: cpuSecondsOf('postgres'), at: performance.now() };
      const latest = sampler.latest();
      const sent = workers.reduce((n, w) => n + w.sent, 0);
      log(`  ${server.kind}: ${s}/${spec.seconds} s, edits sent ${sent}, server rss ${fmt((latest?.rssBytes ?? NaN) / 2 ** 20)} MB`);
    }
    const serverUsage = window!.end();
    const databaseCpuPercent = database ? ((cpuSecondsOf('postgres') - database.cpu) * 1e5) / (performance.now() - database.at) : undefined;
    await sleep(spec.drainMs);
    workers.forEach((w) => post(w, { type: 'collect' }));
    const reports = await Promise.all(workers.map((w) => w.next('report', 60_000)));
    const result = evaluate(reports.flatMap((r) => r.writers));
    const latency = summarizeHistogram(mergeHistograms(reports.map((r) => r.latency)));
    const steadyLatency = summarizeHistogram(mergeHistograms(reports.map((r) => r.steadyLatency)));
    const cpu = reports.map((r) => ((r.cpu.userMs + r.cpu.systemMs) / r.cpu.wallMs) * 100);
    return {
      server: server.kind,
      spec,
      connections,
      connectFailed,
      connectMs,
      ...result,
      latencyMs: latency,
      steadyLatencyMs: steadyLatency,
      serverUsage,
      ...(databaseCpuPercent !== undefined ? { databaseCpuPercent } : {}),
      serverRssBeforeConnectMb: rssBefore / 2 ** 20,
      serverRssAfterConnectMb: serverUsage.rssStartMb,
      generatorCpuPercent: cpu.reduce((a, b) => a + b, 0),
      generatorMaxWorkerCpuPercent: Math.max(...cpu),
    };
  } finally {
    sampler.stop();
    await Promise.all(workers.map((w) => stopWorker(w)));
  }
}

async function stopWorker(w: WorkerHandle): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  if (w.child.connected) post(w, { type: 'close' });
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Delivery and convergence from every writer's report (senders and receivers of each document). */
function evaluate(writers: WriterReport[]) {
  const byDoc = new Map<string, WriterReport[]>();
  for (const w of writers) byDoc.set(w.document, [...(byDoc.get(w.document) ?? []), w]);
  let sent = 0;
  let expected = 0;
  let delivered = 0;
  let converged = 0;
  let diverged = 0;
  for (const members of byDoc.values()) {
    for (const sender of members) {
      sent += sender.sent;
      for (const receiver of members) {
        if (receiver === sender) continue;
        expected += sender.sent;
        delivered += Math.min(sender.sent, receiver.received[sender.key] ?? 0);
      }
    }
    if (new Set(members.map((m) => m.hash)).size === 1) converged++;
    else diverged++;
  }
  return {
    sent,
    expectedDeliveries: expected,
    deliveries: delivered,
    deliveryRatio: expected === 0 ? 1 : delivered / expected,
    docsConverged: converged,
    docsDiverged: diverged,
    disconnects: writers.reduce((n, w) => n + w.disconnects, 0),
  };
}
