/**
 * The push run's server process (forked by bench/scenarios/notifications.ts; protocol in
 * notify-ipc.ts): a real Storyloom server (tests/helpers/test-server.ts: PGlite in a temp dir,
 * or Postgres/Redis from BENCH_NOTIFY_SERVER_ENV) and the publisher of the run's events.
 *
 * Why the publisher lives here and not in the parent: without REDIS_URL the bus is the in-memory
 * one, which exists only inside the server's process, and that is how production publishes these
 * events too (the analytics, workflow and publishing services call `bus.publish` in the server).
 * Its share of this event loop is measured (`publisherMsPerEvent`: main-thread time of creating
 * and publishing, the synchronous part) so it can be told apart from the server's own work. The
 * 1,000 subscriber sockets, the cost that used to share this loop, are in notify-subscriber.ts.
 */
import { startTestServer, type TestServer } from '../../tests/helpers/test-server.js';
import type { Cpu, ServerReply, ServerRequest, ThreadCpu } from './notify-ipc.js';
import { ruleEvent } from './notify-events.js';
import { attachWorkerProfiler, type WorkerProfiler } from './notify-worker-profile.js';
import { threadTicks as threadsOf } from './proc-stat.js';

let server: TestServer | undefined;
// BENCH_NOTIFY_WORKER_PROFILE=<dir>: PGlite worker's CPU profile over the push window.
let workerProfiler: WorkerProfiler | undefined;
let cpuMark = { usage: process.cpuUsage(), at: performance.now(), threads: threadTicks() };

/**
 * CPU ticks (1/100 s) of each thread of this process from /proc: the main event loop, PGlite's
 * worker (all SQL runs there), V8's GC helpers and libuv's pool are separate lines, so a run
 * says which of them was busy. Empty off Linux.
 */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const [tid, t] of threadsOf('self')) out.set(tid, { name: tid === String(process.pid) ? 'main' : t.name, ticks: t.user + t.system });
  return out;
}

function threadCpuSince(mark: Map<string, { name: string; ticks: number }>): ThreadCpu[] {
  const byName = new Map<string, number>();
  for (const [tid, now] of threadTicks()) {
    const ms = (now.ticks - (mark.get(tid)?.ticks ?? 0)) * 10;
    // One line per thread that worked, pool threads summed under their shared name.
    const name = now.name === 'main' || ms < 100 ? now.name : `${now.name} #${tid}`;
    byName.set(name, (byName.get(name) ?? 0) + ms);
  }
  return [...byName].filter(([, ms]) => ms > 0).map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

function send(message: ServerReply): void {
  process.send?.(message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(): Promise<void> {
  const env = JSON.parse(process.env.BENCH_NOTIFY_SERVER_ENV ?? '{}') as Record<string, string>;
  server = await startTestServer(env);
  if (process.env.BENCH_NOTIFY_WORKER_PROFILE) workerProfiler = await attachWorkerProfiler(process.env.BENCH_NOTIFY_WORKER_PROFILE);
  const storage = `${env.DATABASE_URL ? 'Postgres' : 'PGlite'} + ${env.REDIS_URL ? 'Redis Streams' : 'in-memory'} bus`;
  send({ type: 'ready', port: server.port, storage });
}

async function handle(message: ServerRequest, t: TestServer): Promise<void> {
  switch (message.type) {
    case 'tokens': {
      const tokens = await Promise.all(message.users.map((u) => t.token(u.id, { [u.project]: 'owner' })));
      send({ type: 'tokens', tokens });
      return;
    }
    case 'await-known': {
      // Rules reach only users the server has seen (their token's sighting is stored on connect).
      const t0 = performance.now();
      const actors = message.users.map((u) => t.server.actorOf(u.id));
      while ((await t.server.database.notifications.usersByActor(actors)).length < actors.length) {
        if (performance.now() - t0 > message.timeoutMs) throw new Error(`the server did not remember every user within ${message.timeoutMs} ms`);
        await sleep(100);
      }
      send({ type: 'known', ms: performance.now() - t0 });
      return;
    }
    case 'publish': {
      // Paced against the wall clock in 10 ms ticks (no drift), as the scenario always did.
      const { users, rounds, rate } = message;
      const actors = users.map((u) => t.server.actorOf(u.id));
      const total = rounds * users.length;
      const perTick = rate / 100;
      let publisherMs = 0;
      await workerProfiler?.start();
      cpuMark = { usage: process.cpuUsage(), at: performance.now(), threads: threadTicks() };
      const t0 = performance.now();
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 10 + 1) * perTick));
        const batch: Promise<void>[] = [];
        const s0 = performance.now();
        for (; sent < due; sent++) {
          const round = Math.floor(sent / users.length);
          const u = sent % users.length;
          batch.push(t.server.bus.publish(ruleEvent(round, actors[u]!, users[u]!.project, u)));
        }
        publisherMs += performance.now() - s0;
        await Promise.all(batch);
        await sleep(10);
      }
      send({ type: 'published', seconds: (performance.now() - t0) / 1000, publishedAt: Date.now(), publisherMsPerEvent: publisherMs / total });
      return;
    }
    case 'cpu': {
      // RUSAGE_SELF: every thread of this process (main loop, PGlite's worker, libuv pool).
      const usage = process.cpuUsage(cpuMark.usage);
      const cpu: Cpu = { userMs: usage.user / 1000, systemMs: usage.system / 1000, wallMs: performance.now() - cpuMark.at };
      const threads = threadCpuSince(cpuMark.threads);
      const profiles = (await workerProfiler?.stop()) ?? [];
      if (profiles.length > 0) console.error(`worker profiles: ${profiles.join(', ')}`);
      send({ type: 'cpu', cpu, threads });
      return;
    }
    case 'close':
      await t.cleanup();
      server = undefined;
      process.exit(0);
  }
}

process.on('message', (message: ServerRequest) => {
  if (!server) {
    send({ type: 'error', message: `server not started (got "${message.type}")` });
    return;
  }
  void handle(message, server).catch((error: unknown) => send({ type: 'error', message: String(error) }));
});
// A parent that went away (crashed run) takes the server with it; its temp data dir goes too.
process.on('disconnect', () => void (server ? server.cleanup() : Promise.resolve()).finally(() => process.exit(0)));

start().catch((error: unknown) => {
  send({ type: 'error', message: `server failed to start: ${String(error)}` });
  process.exit(1);
});
