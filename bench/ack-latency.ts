/**
 * Acknowledgement latency with the durable update log on and off.
 *
 *   npm run bench -- ack-latency            (PGlite; adds Postgres when DATABASE_URL is set)
 *
 * Each run starts a real server process, connects WRITERS real HocuspocusProviders (one socket
 * each) to DOCS documents, and has each type RATE single-character transactions per second for
 * SECONDS seconds. Latency is measured in the client: from the moment an update is sent to the
 * moment its sync-status acknowledgement arrives (acks come back in order per connection, so a
 * FIFO of send times pairs them exactly). Every loop is bounded in count and time; loopback only.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/auth/tokens.js';
import { startServerProcess } from '../tests/helpers/server-process.js';
import { TEST_SECRET, connectClient, typeInto } from '../tests/helpers/test-server.js';
import { createTestDatabase } from '../tests/helpers/services.js';
import { summarize, type Summary } from './lib/stats.js';

const WRITERS = Number(process.env.BENCH_WRITERS ?? 20);
const DOCS = Number(process.env.BENCH_DOCS ?? 5);
const RATE = Number(process.env.BENCH_RATE ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

interface RunResult {
  backend: string;
  durableAck: boolean;
  acks: number;
  sent: number;
  latencyMs: Summary;
}

async function run(backend: 'pglite' | 'postgres', durableAck: boolean): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-bench-'));
  const pg = backend === 'postgres' ? await createTestDatabase() : undefined;
  const server = await startServerProcess({
    DATA_DIR: dataDir,
    DURABLE_ACK: String(durableAck),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  });
  const latencies: number[] = [];
  let sent = 0;
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async (_, i) => {
      const token = await signToken(TEST_SECRET, { userId: `w${i}`, name: `Writer ${i}`, projects: { bench: 'editor' } });
      const client = connectClient(server.wsUrl, `bench/doc-${i % DOCS}`, token);
      await client.synced;
      const inFlight: number[] = [];
      let last = client.provider.unsyncedChanges;
      client.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        for (let n = number; n < last; n++) {
          const t0 = inFlight.shift();
          if (t0 !== undefined) latencies.push(performance.now() - t0);
        }
        last = number;
      });
      return { client, inFlight, setLast: (n: number) => (last = n) };
    }),
  );
  process.stdout.write(`  ${backend} durableAck=${durableAck}: ${WRITERS} writers on ${DOCS} docs, ${RATE} edits/s each, ${SECONDS} s `);
  const deadline = Date.now() + SECONDS * 1000;
  const timers = clients.map(({ client, inFlight }) =>
    setInterval(() => {
      if (Date.now() > deadline) return;
      inFlight.push(performance.now());
      sent++;
      typeInto(client.ydoc, 'x');
    }, 1000 / RATE),
  );
  const progress = setInterval(() => process.stdout.write('.'), 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000 + 2000));
  clearInterval(progress);
  timers.forEach(clearInterval);
  process.stdout.write('\n');
  for (const { client } of clients) client.destroy();
  server.child.kill('SIGTERM');
  await server.exited;
  await pg?.drop();
  await rm(dataDir, { recursive: true, force: true });
  return { backend, durableAck, acks: latencies.length, sent, latencyMs: summarize(latencies) };
}

export async function ackLatency(): Promise<string> {
  const backends: ('pglite' | 'postgres')[] = ['pglite', ...(process.env.DATABASE_URL ? (['postgres'] as const) : [])];
  const results: RunResult[] = [];
  for (const backend of backends) for (const durable of [true, false]) results.push(await run(backend, durable));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/ack-latency.json', JSON.stringify({ machine, WRITERS, DOCS, RATE, SECONDS, results }, null, 2));
  const rows = results.map(
    (r) =>
      `| ${r.backend} | ${r.durableAck ? 'on' : 'off'} | ${r.sent} | ${r.acks} | ${r.latencyMs.p50.toFixed(2)} | ${r.latencyMs.p95.toFixed(2)} | ${r.latencyMs.p99.toFixed(2)} | ${r.latencyMs.max.toFixed(2)} |`,
  );
  return [
    `Machine: ${machine}. Load: ${WRITERS} writers on ${DOCS} documents, ${RATE} edits/s each, ${SECONDS} s, server in its own process.`,
    '',
    '| storage | durable ack | edits sent | acks received | p50 ms | p95 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
