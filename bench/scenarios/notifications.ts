/**
 * notifications: issue 14's targets (docs/notifications.md):
 * - routing ≥ 50,000 notifications/s in one process (the pure core, `src/notify/route.ts`);
 * - the outbox drains 1,000 emails to a local SMTP server with no duplicate;
 * - event → in-app push on /ws/notifications p99 < 100 ms at 1,000 events/s, 1,000 subscribed users.
 *
 *   npm run bench -- notifications        (BENCH_NOTIFICATION_EMAILS=… to change the 1,000;
 *                                          BENCH_NOTIFICATION_USERS / _RATE for the push run)
 *
 * Routing: 200,000 notifications over 1,000 users with varied preferences (quiet hours in six
 * zones, digests, mutes), contexts (flow, repeats) and instants across 2026, after a warm-up.
 * Outbox: the production service, worker and SMTP channel (nodemailer) over PGlite in a temp
 * dir, to an in-process smtp-server; the clock starts when the notifications are stored and
 * stops when the sink has accepted the last message.
 * Push: a real server in this process (PGlite, or Postgres/Redis when DATABASE_URL/REDIS_URL are
 * set), 1,000 plain `ws` sockets on /ws/notifications each subscribed to its `user:<id>`; events
 * published on the bus at 1,000/s, each turned by a rule into an in-app notification for one
 * user; latency = push arrival − the event's occurredAt. Each user gets one event a second, of a
 * different rule each second (eight rules, so eight seconds): auto-mute folds a repeat of the
 * same alert within the hour, and a folded repeat is rightly not pushed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { startTestServer } from '../../tests/helpers/test-server.js';
import { WebSocket } from 'ws';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
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
    const events = Array.from({ length: 8 * users.length }, (_, i) => ruleEvent(Math.floor(i / users.length), users[i % users.length]!.actor, users[i % users.length]!.project, i));
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

/** One event of rule `round` (0..7) for user `u` (actor `actor`, owner of project `project`). */
function ruleEvent(round: number, actor: string, project: string, u: number): StoryloomEvent {
  const base = { actor, projectId: project, occurredAt: Date.now() };
  const id = `b${round}-${u}`;
  switch (round) {
    case 0: return createEvent('analytics.goal_met', { ...base, payload: { goalId: id, kind: 'daily_words', target: 500, actual: 612 } });
    case 1: return createEvent('analytics.goal_missed', { ...base, payload: { goalId: id, kind: 'daily_words', target: 500, actual: 210 } });
    case 2: return createEvent('writing.flow_entered', { ...base, payload: { sessionId: id, wpm: 40 } });
    case 3: return createEvent('automation.workflow_failed', { ...base, actor: 'system', payload: { runId: id, workflowId: 'export', error: 'timeout' } });
    case 4: return createEvent('analytics.sales_spike_detected', { ...base, actor: 'system', payload: { units: 40, baselineUnits: 10, ratio: 4, windowMs: 3_600_000 } });
    case 5: return createEvent('publishing.upload_completed', { ...base, actor: 'system', payload: { uploadId: id, platform: 'kdp' } });
    case 6: return createEvent('publishing.upload_failed', { ...base, actor: 'system', payload: { uploadId: id, platform: 'kdp', error: 'cover refused' } });
    default: return createEvent('collaboration.conflict_predicted', { ...base, payload: { severity: 'high', blocks: [3], users: [actor, actor] } });
  }
}

async function push(): Promise<{ users: number; events: number; delivered: number; latency: Summary; toStored: Summary; toPush: Summary; lastAfterPublishSeconds: number; publishSeconds: number; storage: string; cpuMsPerEvent: number }> {
  const env: Record<string, string> = { MAX_CONNECTIONS_PER_IP: String(PUSH_USERS + 100) };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  const t = await startTestServer(env);
  const storage = `${env.DATABASE_URL ? 'Postgres' : 'PGlite'} + ${env.REDIS_URL ? 'Redis Streams' : 'in-memory'} bus`;
  const run = Math.random().toString(36).slice(2, 8);
  const sockets: WebSocket[] = [];
  const latencies: number[] = [];
  // The split: event → notification stored (the rules consumer), stored → push arrived (outbox + gateway).
  const toStored: number[] = [];
  const toPush: number[] = [];
  let lastArrival = 0;
  // Process CPU (all threads: server, PGlite worker, bus, the ws clients and the publisher) from the
  // first publish to the last arrival: the figure a loaded machine does not distort much.
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpuAtLast: NodeJS.CpuUsage = { user: 0, system: 0 };
  const seen = new Set<string>();
  try {
    const users = Array.from({ length: PUSH_USERS }, (_, i) => ({ id: `bench-${run}-u${i}`, project: `bench-${run}-p${i}` }));
    // Connect and subscribe in batches of 50: every user's token is seen (rules reach only known users).
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(
        users.slice(i, i + 50).map(async (u) => {
          const token = await t.token(u.id, { [u.project]: 'owner' });
          const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ws/notifications?token=${token}`);
          sockets.push(ws);
          await new Promise<void>((resolve, reject) => {
            ws.once('error', reject);
            ws.on('message', (raw) => {
              const m = JSON.parse(String(raw)) as { type: string; data?: { type?: string; notification?: { id: string; createdAt: string; data?: { eventId?: string } } } };
              if (m.type === 'subscribed') resolve();
              if (m.type === 'error') reject(new Error(String(raw)));
              const n = m.type === 'event' && m.data?.type === 'notification' ? m.data.notification : undefined;
              const eventId = n?.data?.eventId;
              if (!n || !eventId || seen.has(n.id)) return;
              seen.add(n.id);
              // uuidv7 of the event carries its occurredAt (ms): no lookup table needed.
              const now = Date.now();
              const occurred = parseInt(eventId.replace(/-/g, '').slice(0, 12), 16);
              const stored = Date.parse(n.createdAt);
              latencies.push(now - occurred);
              toStored.push(stored - occurred);
              toPush.push(now - stored);
              lastArrival = now;
              if (cpu0) cpuAtLast = process.cpuUsage(cpu0);
            });
            ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: `user:${u.id}` })));
          });
        }),
      );
    }
    const store = t.server.database.notifications;
    const actors = users.map((u) => t.server.actorOf(u.id));
    for (let waited = 0; (await store.usersByActor(actors)).length < users.length; waited++) {
      if (waited > 600) throw new Error('the server did not remember every user within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Publish at PUSH_RATE/s in 10 ms ticks, paced against the wall clock (no drift).
    const rounds = 8;
    const total = rounds * users.length;
    const perTick = PUSH_RATE / 100;
    const t0 = performance.now();
    cpu0 = process.cpuUsage();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 10 + 1) * perTick));
      const batch: Promise<void>[] = [];
      for (; sent < due; sent++) {
        const round = Math.floor(sent / users.length);
        const u = sent % users.length;
        batch.push(t.server.bus.publish(ruleEvent(round, actors[u]!, users[u]!.project, u)));
      }
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 10));
    }
    const publishSeconds = (performance.now() - t0) / 1000;
    const publishedAt = Date.now();
    // Up to 60 s after the last publish for the backlog (a miss is reported, not hidden).
    for (let waited = 0; latencies.length < total && waited < 600; waited++) await new Promise((r) => setTimeout(r, 100));
    return {
      users: users.length,
      events: total,
      delivered: latencies.length,
      latency: summarize(latencies),
      toStored: summarize(toStored),
      toPush: summarize(toPush),
      lastAfterPublishSeconds: Math.max(0, lastArrival - publishedAt) / 1000,
      publishSeconds,
      storage,
      cpuMsPerEvent: (cpuAtLast.user + cpuAtLast.system) / 1000 / Math.max(1, latencies.length),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await t.cleanup();
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
    `| event → in-app push on /ws/notifications: ${fmt(p.events, 0)} events at ${fmt(PUSH_RATE, 0)}/s (published in ${fmt(p.publishSeconds, 1)} s) for ${fmt(p.users, 0)} subscribed users, ${p.storage} | p50 ${fmt(p.latency.p50, 1)} ms, p95 ${fmt(p.latency.p95, 1)} ms, p99 ${fmt(p.latency.p99, 1)} ms, max ${fmt(p.latency.max, 1)} ms; delivered ${fmt(p.delivered, 0)} of ${fmt(p.events, 0)} | p99 < 100 ms |`,
    `| … of which event → notification stored (rules consumer) / stored → push arrived (outbox worker, gateway) | p50 ${fmt(p.toStored.p50, 1)} / ${fmt(p.toPush.p50, 1)} ms, p99 ${fmt(p.toStored.p99, 1)} / ${fmt(p.toPush.p99, 1)} ms; last push ${fmt(p.lastAfterPublishSeconds, 1)} s after the last publish | |`,
    `| … process CPU per delivered event (server, bus, store, ws clients and publisher together; first publish → last push) | ${fmt(p.cpuMsPerEvent, 3)} ms (≈ ${fmt(1000 / p.cpuMsPerEvent, 0)} events/s per core) | |`,
  ].join('\n');
}
