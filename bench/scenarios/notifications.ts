/**
 * notifications: issue 14's targets (docs/notifications.md):
 * - routing ≥ 50,000 notifications/s in one process (the pure core, `src/notify/route.ts`);
 * - the outbox drains 1,000 emails to a local SMTP server with no duplicate.
 *
 *   npm run bench -- notifications        (BENCH_NOTIFICATION_EMAILS=… to change the 1,000)
 *
 * Routing: 200,000 notifications over 1,000 users with varied preferences (quiet hours in six
 * zones, digests, mutes), contexts (flow, repeats) and instants across 2026, after a warm-up.
 * Outbox: the production service, worker and SMTP channel (nodemailer) over PGlite in a temp
 * dir, to an in-process smtp-server; the clock starts when the notifications are stored and
 * stops when the sink has accepted the last message. Not measured here: event -> in-app push
 * p99 at 1,000 events/s with 1,000 subscribed users.
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
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import { createOutboxWorker } from '../../src/services/notifications/outbox-worker.js';
import { startSmtpSink } from '../../tests/helpers/smtp-sink.js';
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

export async function notificationsBench(): Promise<string> {
  const r = routing();
  const d = await drain();
  await writeResult('notifications', { routing: r, drain: d });
  return [
    header(),
    '',
    '| measurement | result | target |',
    '|---|---|---|',
    `| routing (pure core, one process, ${fmt(ROUTED, 0)} notifications → ${fmt(r.deliveries, 0)} deliveries) | ${fmt(r.perSecond, 0)} notifications/s | ≥ 50,000/s |`,
    `| outbox drain: ${fmt(EMAILS, 0)} emails over SMTP (PGlite, nodemailer pool of 2, local smtp-server) | ${fmt(d.seconds, 2)} s (${fmt(EMAILS / d.seconds, 0)}/s); accepted ${fmt(d.accepted, 0)}, distinct keys ${fmt(d.unique, 0)}, rows sent ${fmt(d.sent, 0)} | no duplicate |`,
  ].join('\n');
}
