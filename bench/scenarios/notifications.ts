/**
 * notifications: issue 14's targets (docs/notifications.md):
 * - routing ≥ 50,000 notifications/s in one process (the pure core, `src/notify/route.ts`);
 * - the outbox drains 1,000 emails to a local SMTP server with no duplicate;
 * - event → in-app push on /ws/notifications p99 < 100 ms at 1,000 events/s, 1,000 subscribed users.
 *
 *   npm run bench -- notifications        (BENCH_NOTIFICATION_EMAILS=… to change the 1,000;
 *                                          BENCH_NOTIFICATION_USERS / _RATE / _SUBSCRIBER_PROCS for
 *                                          the push run; BENCH_SERVER_NODE_OPTIONS=--cpu-prof
 *                                          profiles its server process's main thread,
 *                                          BENCH_NOTIFY_WORKER_PROFILE=<dir> its PGlite worker)
 *
 * Routing: 200,000 notifications over 1,000 users with varied preferences (quiet hours in six
 * zones, digests, mutes), contexts (flow, repeats) and instants across 2026, after a warm-up.
 * Outbox: the production service, worker and SMTP channel (nodemailer) over PGlite in a temp
 * dir, to an in-process smtp-server; the clock starts when the notifications are stored and
 * stops when the sink has accepted the last message.
 * Push: three kinds of process, so the publisher, the server and the subscribers do not share
 * one event loop (until issue 14's second round they all ran here, and the 1,000 client sockets
 * cost the server's loop about as much as the server itself):
 * - the server (bench/lib/notify-server.ts): a real Storyloom server, PGlite in a temp dir, or
 *   Postgres/Redis when DATABASE_URL/REDIS_URL are set, plus the publisher. The server gets its
 *   own process rather than staying here because this process also collects the arrivals; and
 *   the publisher must live with it because the default in-memory bus exists only inside the
 *   server's process (as in production, where the server's own services publish these events).
 *   The publisher's main-thread time per event is measured and reported next to the server CPU;
 * - BENCH_NOTIFICATION_SUBSCRIBER_PROCS (2) subscriber processes (bench/lib/notify-subscriber.ts)
 *   sharing 1,000 plain `ws` sockets on /ws/notifications, each subscribed to its `user:<id>`,
 *   timestamping pushes and sending them here in batches every 100 ms;
 * - this process: tokens, pacing commands and the statistics, idle while the events flow.
 * Events are published on the bus at 1,000/s in 10 ms ticks, each turned by a rule into an in-app
 * notification for one user; latency = push arrival (Date.now() in the subscriber) − the event's
 * occurredAt (same machine, same clock). Each user gets one event a second, of a different rule
 * each second (eight rules, so eight seconds): auto-mute folds a repeat of the same alert within
 * the hour, and a folded repeat is rightly not pushed. Server CPU is its process's (every thread,
 * PGlite's worker included) from the first publish until every push arrived.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../../src/db/client.js';
import { createSmtpEmailChannel } from '../../src/delivery/email-smtp.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { DIGEST_CADENCES, NOTIFICATION_CATEGORIES, NOTIFICATION_PRIORITIES, effectivePreferences, type EffectivePreferences } from '../../src/notify/model.js';
import { route, type RoutableNotification, type RouteContext } from '../../src/notify/route.js';
import type { ChannelName, DeliveryChannel } from '../../src/services/notifications/channels/channel.js';
import { createEventRules } from '../../src/services/notifications/event-rules.js';
import { createInAppChannel } from '../../src/services/notifications/in-app-channel.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import { createOutboxWorker } from '../../src/services/notifications/outbox-worker.js';
import { startSmtpSink } from '../../tests/helpers/smtp-sink.js';
import { forkChild, type BenchUser, type ChildHandle, type Cpu, type ServerReply, type ServerRequest, type SubscriberReply, type ThreadCpu, type SubscriberRequest } from '../lib/notify-ipc.js';
import { RULE_ROUNDS, ruleEvent } from '../lib/notify-events.js';
import { summarize, type Summary } from '../lib/stats.js';
import { fmt, header, writeResult } from '../lib/report.js';
import { prng } from '../lib/prng.js';

const ROUTED = 200_000;
const EMAILS = Number(process.env.BENCH_NOTIFICATION_EMAILS ?? 1_000);
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Australia/Sydney', 'America/Sao_Paulo'];
const logger = createLogger({ level: 'silent' });

function routing(): { perSecond: number; deliveries: number } {
  const rand = prng(14);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const users: EffectivePreferences[] = Array.from({ length: 1_000 }, (_, i) =>
    effectivePreferences(
      {
        ...(i % 5 === 0 ? { quietHours: null } : { quietHours: { start: '22:00', end: '07:30', timeZone: pick(ZONES) } }),
        digest: { analytics: pick(DIGEST_CADENCES), writing: pick(DIGEST_CADENCES) },
        ...(i % 7 === 0 ? { mute: { publishing: '2026-07-01T00:00:00Z' } } : {}),
      },
      pick(ZONES),
    ),
  );
  const inputs: { n: RoutableNotification; prefs: EffectivePreferences; ctx: RouteContext; now: number }[] = [];
  for (let i = 0; i < ROUTED; i++) {
    const u = Math.floor(rand() * users.length);
    inputs.push({
      n: { id: `n${i}`, userId: `u${u}`, projectId: 'p', category: pick(NOTIFICATION_CATEGORIES), priority: pick(NOTIFICATION_PRIORITIES) },
      prefs: users[u]!,
      ctx: { inFlow: rand() < 0.1, recentSameFingerprint: rand() < 0.1 ? 1 : 0, timeZone: 'UTC' },
      now: Date.UTC(2026, 0, 1) + Math.floor(rand() * 365 * 86_400_000),
    });
  }
  for (let i = 0; i < 20_000; i++) route(inputs[i]!.n, inputs[i]!.prefs, inputs[i]!.ctx, inputs[i]!.now);
  let deliveries = 0;
  const t0 = performance.now();
  for (const x of inputs) deliveries += route(x.n, x.prefs, x.ctx, x.now).deliveries.length;
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: ROUTED / seconds, deliveries };
}

async function drain(): Promise<{ seconds: number; accepted: number; unique: number; sent: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'storyloom-bench-notify-'));
  const sink = await startSmtpSink();
  const db = await createDatabase({ dataDir: dir, logger });
  const email = createSmtpEmailChannel({ smtpUrl: sink.url, mailFrom: 'Storyloom <noreply@storyloom.test>', mailFromAddress: 'noreply@storyloom.test', publicUrl: 'http://localhost:8080', unsubscribeSecret: 'bench-secret-0123456789-abcdefghijklmn', logger });
  try {
    const channels = new Map<ChannelName, DeliveryChannel>([['email', email]]);
    const writers = { inFlow: async () => false, timeZone: async () => 'UTC' };
    const service = createNotificationService({ store: db.notifications, writers, channels, actorOf: () => 'a'.repeat(16), clock: systemClock, logger });
    const worker = createOutboxWorker({ store: db.notifications, channels, writers, preferencesOf: (u) => service.preferencesOf(u), clock: systemClock, logger, batch: 50 });
    const users = 50;
    for (let u = 0; u < users; u++) await service.updatePreferences(`reader${u}`, { email: `reader${u}@example.org`, quietHours: null, channels: { publishing: { high: ['email'] } } });
    for (let i = 0; i < EMAILS; i++) {
      await service.notify({ userId: `reader${i % users}`, projectId: 'p', category: 'publishing', priority: 'high', title: `Upload ${i} failed`, body: 'The platform refused the cover.' });
    }
    const t0 = performance.now();
    worker.start();
    while (sink.messages.length < EMAILS && performance.now() - t0 < 600_000) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    await worker.stop();
    const keys = sink.messages.map((m) => String(m.headers.get('x-storyloom-idempotency-key')));
    return { seconds, accepted: keys.length, unique: new Set(keys).size, sent: (await db.notifications.statusCounts()).sent };
  } finally {
    await email.close();
    await db.close();
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The rules consumer alone, as fast as it goes: 8 × 1,000 events through `handleBatch` in reads
 * of 256 (the bus's batch size) against PGlite in this process (its worker thread counted in the
 * process CPU), with the in-app channel pushing into nothing. Events/s and CPU per event here are
 * what a loaded machine distorts least.
 */
async function consumerCapacity(): Promise<{ events: number; notifications: number; seconds: number; cpuMsPerEvent: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'storyloom-bench-rules-'));
  const db = await createDatabase({ dataDir: dir, logger });
  try {
    const channels = new Map<ChannelName, DeliveryChannel>([['in_app', createInAppChannel({ push: async () => undefined })]]);
    const writers = { inFlow: async () => false, timeZone: async () => 'UTC', timeZones: (ids: readonly string[]) => db.notifications.writerZones(ids) };
    const service = createNotificationService({ store: db.notifications, writers, channels, actorOf: () => 'a'.repeat(16), clock: systemClock, logger });
    const rules = createEventRules({ service, store: db.notifications, logger });
    const users = Array.from({ length: 1_000 }, (_, i) => ({ id: `cap-u${i}`, actor: i.toString(16).padStart(16, '0'), project: `cap-p${i}` }));
    for (const u of users) await db.notifications.recordSighting({ userId: u.id, actor: u.actor, email: null, projects: { [u.project]: 'owner' }, at: Date.now() });
    const events = Array.from({ length: RULE_ROUNDS * users.length }, (_, i) => ruleEvent(Math.floor(i / users.length), users[i % users.length]!.actor, users[i % users.length]!.project, i));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < events.length; i += 256) await rules.handleBatch(events.slice(i, i + 256));
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const notifications = (await db.notifications.statusCounts()).sent;
    return { events: events.length, notifications, seconds, cpuMsPerEvent: (cpu.user + cpu.system) / 1000 / events.length };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const PUSH_USERS = Number(process.env.BENCH_NOTIFICATION_USERS ?? 1_000);
const PUSH_RATE = Number(process.env.BENCH_NOTIFICATION_RATE ?? 1_000);
/** Subscriber processes; two share the 1,000 sockets on this two-core machine. */
const SUBSCRIBER_PROCS = Math.max(1, Number(process.env.BENCH_NOTIFICATION_SUBSCRIBER_PROCS ?? 2));

interface PushResult {
  users: number;
  events: number;
  delivered: number;
  latency: Summary;
  /**
   * The split at the notification's createdAt, which the consumer stamps when it starts routing
   * the event's batch (src/services/notifications/notify-batch.ts): before it, the bus and the
   * wait for the consumer; after it, the batch's context queries, its insert transaction and the
   * in-app push (straight from the consumer, not through the outbox worker) to the socket.
   */
  toStored: Summary;
  toPush: Summary;
  lastAfterPublishSeconds: number;
  publishSeconds: number;
  storage: string;
  subscriberProcs: number;
  /** Server process (every thread), first publish → all delivered (or the wait's end). */
  serverCpu: Cpu & { msPerEvent: number; percent: number };
  /** The same window per thread (main loop, PGlite worker, GC helpers...), busiest first. */
  serverThreads: ThreadCpu[];
  /** Main-thread time of creating and publishing the events (in the server's process, see notify-server.ts). */
  publisherMsPerEvent: number;
  /**
   * The machine over the same window: how busy all cores were, how many cores' worth went to
   * processes other than this run's server and subscribers (other work on a shared machine), and
   * the 1-minute load average at the start and the end.
   */
  machine: { cores: number; busyPercent: number; othersCores: number; load: number[] };
  /** All subscriber processes together, same window. */
  subscriberCpuMsPerEvent: number;
}

/** Machine-wide busy and total CPU ms (all cores) from /proc/stat; zeros off Linux. */
function machineCpu(): { busyMs: number; totalMs: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    const total = line.reduce((a, b) => a + b, 0);
    const idle = (line[3] ?? 0) + (line[4] ?? 0); // idle + iowait
    return { busyMs: (total - idle) * 10, totalMs: total * 10 };
  } catch {
    return { busyMs: 0, totalMs: 0 };
  }
}

const loadAverage = () => loadavg()[0]!;

type Server = ChildHandle<ServerRequest, ServerReply>;
type Subscriber = ChildHandle<SubscriberRequest, SubscriberReply>;

async function push(): Promise<PushResult> {
  const env: Record<string, string> = { MAX_CONNECTIONS_PER_IP: String(PUSH_USERS + 100) };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  // BENCH_SERVER_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the server
  // process only, as bench/lib/server-procs.ts does for the other scenarios.
  const profile = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const server: Server = forkChild('./notify-server.ts', profile, { ...process.env, BENCH_NOTIFY_SERVER_ENV: JSON.stringify(env) });
  const subscribers: Subscriber[] = [];
  try {
    // A fresh PGlite (initdb) can take 25-40 s on two busy cores.
    const { port, storage } = await server.next('ready', 120_000);
    const run = Math.random().toString(36).slice(2, 8);
    const users: BenchUser[] = Array.from({ length: PUSH_USERS }, (_, i) => ({ id: `bench-${run}-u${i}`, project: `bench-${run}-p${i}` }));
    server.send({ type: 'tokens', users });
    const { tokens } = await server.next('tokens', 60_000);
    // Users dealt round-robin, so each process gets one event in every SUBSCRIBER_PROCS of a tick.
    for (let k = 0; k < SUBSCRIBER_PROCS; k++) subscribers.push(forkChild('./notify-subscriber.ts'));
    const rows: number[] = [];
    for (const s of subscribers) s.child.on('message', (m: SubscriberReply) => {
      if (m.type === 'arrivals') for (const x of m.rows) rows.push(x);
    });
    const url = `ws://127.0.0.1:${port}/ws/notifications`;
    subscribers.forEach((s, k) => s.send({ type: 'connect', url, users: users.flatMap((u, i) => (i % SUBSCRIBER_PROCS === k ? [{ id: u.id, token: tokens[i]! }] : [])) }));
    const subscribed = await Promise.all(subscribers.map((s) => s.next('subscribed', 120_000)));
    if (subscribed.reduce((n, s) => n + s.count, 0) !== users.length) throw new Error('not every socket subscribed');
    server.send({ type: 'await-known', users, timeoutMs: 60_000 });
    await server.next('known', 70_000);

    const total = RULE_ROUNDS * users.length;
    for (const s of subscribers) s.send({ type: 'mark' });
    const machine0 = machineCpu();
    const load0 = loadAverage();
    server.send({ type: 'publish', users, rounds: RULE_ROUNDS, rate: PUSH_RATE });
    const published = await server.next('published', 600_000);
    // Up to 60 s after the last publish for the backlog (a miss is reported, not hidden).
    for (let waited = 0; rows.length / 4 < total && waited < 600; waited++) await new Promise((r) => setTimeout(r, 100));
    server.send({ type: 'cpu' });
    const { cpu, threads } = await server.next('cpu', 10_000);
    const reports = await Promise.all(subscribers.map((s) => (s.send({ type: 'collect' }), s.next('report', 10_000))));
    const machine1 = machineCpu();
    const ours = cpu.userMs + cpu.systemMs + reports.reduce((n, r) => n + r.cpu.userMs + r.cpu.systemMs, 0);

    const delivered = rows.length / 4;
    const column = (c: number) => Array.from({ length: delivered }, (_, i) => rows[i * 4 + c]!);
    const lastArrival = Math.max(0, ...column(3));
    const perEvent = (c: Cpu) => (c.userMs + c.systemMs) / Math.max(1, delivered);
    return {
      users: users.length,
      events: total,
      delivered,
      latency: summarize(column(0)),
      toStored: summarize(column(1)),
      toPush: summarize(column(2)),
      lastAfterPublishSeconds: Math.max(0, lastArrival - published.publishedAt) / 1000,
      publishSeconds: published.seconds,
      storage,
      subscriberProcs: SUBSCRIBER_PROCS,
      serverCpu: { ...cpu, msPerEvent: perEvent(cpu), percent: ((cpu.userMs + cpu.systemMs) / cpu.wallMs) * 100 },
      serverThreads: threads,
      publisherMsPerEvent: published.publisherMsPerEvent,
      machine: {
        cores: cpus().length,
        busyPercent: (100 * (machine1.busyMs - machine0.busyMs)) / Math.max(1, machine1.totalMs - machine0.totalMs),
        othersCores: (machine1.busyMs - machine0.busyMs - ours) / cpu.wallMs,
        load: [load0, loadAverage()],
      },
      subscriberCpuMsPerEvent: reports.reduce((n, r) => n + perEvent(r.cpu), 0),
    };
  } finally {
    await Promise.all(subscribers.map((s) => s.close(5_000)));
    await server.close();
  }
}

export async function notificationsBench(): Promise<string> {
  const r = routing();
  const d = await drain();
  const c = await consumerCapacity();
  const p = await push();
  await writeResult('notifications', { routing: r, drain: d, consumer: c, push: p });
  return [
    header(),
    '',
    '| measurement | result | target |',
    '|---|---|---|',
    `| routing (pure core, one process, ${fmt(ROUTED, 0)} notifications → ${fmt(r.deliveries, 0)} deliveries) | ${fmt(r.perSecond, 0)} notifications/s | ≥ 50,000/s |`,
    `| outbox drain: ${fmt(EMAILS, 0)} emails over SMTP (PGlite, nodemailer pool of 2, local smtp-server) | ${fmt(d.seconds, 2)} s (${fmt(EMAILS / d.seconds, 0)}/s); accepted ${fmt(d.accepted, 0)}, distinct keys ${fmt(d.unique, 0)}, rows sent ${fmt(d.sent, 0)} | no duplicate |`,
    `| rules consumer alone (handleBatch, reads of 256, PGlite in process, in-app pushes to nowhere): ${fmt(c.events, 0)} events → ${fmt(c.notifications, 0)} in-app sent | ${fmt(c.events / c.seconds, 0)} events/s; process CPU ${fmt(c.cpuMsPerEvent, 3)} ms per event | ≥ 1,000 events/s |`,
    `| event → in-app push on /ws/notifications: ${fmt(p.events, 0)} events at ${fmt(PUSH_RATE, 0)}/s (published in ${fmt(p.publishSeconds, 1)} s) for ${fmt(p.users, 0)} subscribed users in ${p.subscriberProcs} subscriber processes, server in its own process, ${p.storage} | p50 ${fmt(p.latency.p50, 1)} ms, p95 ${fmt(p.latency.p95, 1)} ms, p99 ${fmt(p.latency.p99, 1)} ms, max ${fmt(p.latency.max, 1)} ms; delivered ${fmt(p.delivered, 0)} of ${fmt(p.events, 0)} | p99 < 100 ms |`,
    `| … of which event → its batch starts routing (createdAt: bus, wait for the consumer) / createdAt → push arrived (the batch's queries and insert transaction, the push, the gateway) | p50 ${fmt(p.toStored.p50, 1)} / ${fmt(p.toPush.p50, 1)} ms, p99 ${fmt(p.toStored.p99, 1)} / ${fmt(p.toPush.p99, 1)} ms; last push ${fmt(p.lastAfterPublishSeconds, 1)} s after the last publish | |`,
    `| … server process CPU (every thread; first publish → all delivered, ${fmt(p.serverCpu.wallMs / 1000, 1)} s) | ${fmt(p.serverCpu.msPerEvent, 3)} ms per delivered event (user ${fmt(p.serverCpu.userMs, 0)} ms, system ${fmt(p.serverCpu.systemMs, 0)} ms; ${fmt(p.serverCpu.percent, 0)} % of one core), of which the publisher's main-thread time ${fmt(p.publisherMsPerEvent, 3)} ms | |`,
    `| … server CPU by thread (ms in that window) | ${p.serverThreads.slice(0, 5).map((x) => `${x.name} ${fmt(x.ms, 0)}`).join(', ')} | |`,
    `| … subscriber processes' CPU (all ${p.subscriberProcs}, same window) | ${fmt(p.subscriberCpuMsPerEvent, 3)} ms per delivered event | |`,
    `| … the machine in that window (${p.machine.cores} cores) | ${fmt(p.machine.busyPercent, 0)} % busy; other processes used ${fmt(p.machine.othersCores, 2)} cores; load average ${p.machine.load.map((x) => fmt(x, 2)).join(' → ')} | |`,
  ].join('\n');
}
