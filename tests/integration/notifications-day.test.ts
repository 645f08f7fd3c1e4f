import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import type { Database } from '../../src/db/document-store.js';
import { createSmtpEmailChannel } from '../../src/delivery/email-smtp.js';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { ChannelName, DeliveryChannel, OutboundMessage } from '../../src/services/notifications/channels/channel.js';
import { createEventRules } from '../../src/services/notifications/event-rules.js';
import { createInAppChannel } from '../../src/services/notifications/in-app-channel.js';
import { createNotificationService } from '../../src/services/notifications/notification-service.js';
import { createOutboxWorker } from '../../src/services/notifications/outbox-worker.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * One day of a writer's notifications with a fake clock: the real service, routing, outbox and
 * PGlite store, the in-app channel and the SMTP email channel to a real smtp-server. The day's
 * events are data (below); the writer's flow periods are scripted (the flow test drives a real
 * session). The test prints what was sent when, on which channel and why, and checks the
 * decisions that make the day what it is.
 */
const ZONE = 'Europe/Berlin';
const MIN = 60_000;
/** Wednesday 10 June 2026, local time in Berlin (UTC+2). */
const at = (day: number, hh: number, mm: number) => Date.UTC(2026, 5, 9 + day, hh - 2, mm);
const local = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

interface Sent {
  at: number;
  channel: ChannelName;
  kind: string;
  titles: string[];
  silent: boolean;
  key: string;
}

describe('one day of a writer (fake clock, real store, real SMTP)', () => {
  const clock = createManualClock(at(1, 6, 0));
  const logger = createLogger({ level: 'silent' });
  let dir: string;
  let db: Database;
  let sink: SmtpSink;
  const sent: Sent[] = [];
  /** Mira's flow (scripted here; tests/integration/notifications-flow.test.ts drives a real one). */
  const flow = [{ from: at(1, 10, 0), to: at(1, 11, 30) }];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storyloom-day-'));
    db = await createDatabase({ dataDir: dir, logger });
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await db?.close();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the day and holds to quiet hours, flow, auto-mute and the digest', async () => {
    const observe = (channel: DeliveryChannel): DeliveryChannel => ({
      name: channel.name,
      readiness: () => channel.readiness(),
      async send(message: OutboundMessage & { silent?: boolean }, signal) {
        const result = await channel.send(message, signal);
        if (result.status === 'sent') sent.push({ at: clock.now(), channel: message.channel, kind: message.kind, titles: message.notifications.map((n) => n.title), silent: message.silent === true, key: message.idempotencyKey });
        return result;
      },
    });
    const email = createSmtpEmailChannel({ smtpUrl: sink.url, mailFrom: 'Storyloom <noreply@storyloom.test>', mailFromAddress: 'noreply@storyloom.test', publicUrl: 'http://localhost:8080', unsubscribeSecret: 'day-secret-0123456789-abcdefghijklmnop', logger });
    const channels = new Map<ChannelName, DeliveryChannel>([
      ['in_app', observe(createInAppChannel({ push: async () => undefined }))],
      ['email', observe(email)],
    ]);
    const writers = { inFlow: async (userId: string) => userId === 'mira' && flow.some((f) => clock.now() >= f.from && clock.now() < f.to), timeZone: async () => ZONE };
    const service = createNotificationService({ store: db.notifications, writers, channels, actorOf: (u) => `actor-${u}`.padEnd(16, '0').replace(/[^0-9a-f]/g, 'a'), clock, logger });
    const worker = createOutboxWorker({ store: db.notifications, channels, writers, preferencesOf: (u) => service.preferencesOf(u), clock, logger, random: () => 0.5 });
    const rules = createEventRules({ service, store: db.notifications, logger });
    const actor = 'aaaaaaaaaaaaaaaa';
    await db.notifications.recordSighting({ userId: 'mira', actor, email: 'mira@example.org', projects: { novel: 'owner' }, at: clock.now() });
    await db.notifications.recordSighting({ userId: 'jonas', actor: 'bbbbbbbbbbbbbbbb', email: null, projects: { novel: 'editor' }, at: clock.now() });

    const ev = <T extends Parameters<typeof createEvent>[0]>(type: T, payload: Parameters<typeof createEvent<T>>[1]['payload'], who = actor) =>
      createEvent(type, { actor: who, projectId: 'novel', documentId: 'chapter-7', payload }) as StoryloomEvent;
    const day: { at: number; run: () => Promise<unknown> }[] = [
      { at: at(1, 6, 30), run: () => rules.handle(ev('publishing.upload_completed', { uploadId: 'u1', platform: 'kdp' })) },
      { at: at(1, 7, 10), run: () => rules.handle(ev('automation.workflow_failed', { runId: 'r1', workflowId: 'nightly-backup', error: 'S3 timeout', step: 'upload' })) },
      { at: at(1, 7, 40), run: () => service.notify({ userId: 'mira', projectId: 'novel', category: 'system', priority: 'critical', title: 'Maintenance in 20 minutes', body: 'Save your work.' }) },
      { at: at(1, 9, 15), run: () => rules.handle(ev('analytics.goal_missed', { goalId: 'g', kind: 'daily_words', target: 1000, actual: 640 })) },
      { at: at(1, 10, 20), run: () => rules.handle(ev('collaboration.conflict_predicted', { severity: 'high', blocks: [12], users: [actor, 'bbbbbbbbbbbbbbbb'] })) },
      { at: at(1, 10, 25), run: () => rules.handle(ev('collaboration.conflict_predicted', { severity: 'high', blocks: [12], users: [actor, 'bbbbbbbbbbbbbbbb'] })) },
      { at: at(1, 14, 0), run: () => rules.handle(ev('analytics.sales_spike_detected', { platform: 'kdp', units: 140, baselineUnits: 20, ratio: 7, windowMs: 3_600_000 })) },
      { at: at(1, 16, 0), run: () => rules.breakSuggested('mira', { sessionId: 's1', projectId: 'novel', writingMs: 95 * MIN, wpm: 9, earlierWpm: 31, at: new Date(at(1, 16, 0)).toISOString() }) },
      { at: at(1, 21, 30), run: () => rules.handle(ev('analytics.goal_met', { goalId: 'g', kind: 'daily_words', target: 1000, actual: 1210 })) },
      { at: at(1, 23, 15), run: () => rules.handle(ev('publishing.upload_failed', { uploadId: 'u2', platform: 'kobo', error: 'cover too small' })) },
    ];
    for (let now = at(1, 6, 0); now <= at(2, 9, 30); now += 5 * MIN) {
      clock.set(now);
      for (const e of day.filter((d) => d.at === now)) await e.run();
      while ((await worker.runOnce()) > 0);
    }
    await email.close();

    const why = async (s: Sent) => {
      if (s.kind === 'digest') return `${s.channel} digest of ${s.titles.length}`;
      const inbox = await db.notifications.list({ userId: await ownerOf(s.key), limit: 100, includeArchived: true });
      const n = inbox.items.find((i) => s.key === `single:${i.id}:${s.channel}`);
      return n?.routing.find((r) => r.startsWith(`${s.channel}:`))?.slice(s.channel.length + 2) ?? n?.routing.at(-1) ?? '';
    };
    async function ownerOf(key: string): Promise<string> {
      const id = key.split(':')[1]!;
      for (const user of ['mira', 'jonas']) if (await db.notifications.get(user, id)) return user;
      return 'mira';
    }
    const lines = [];
    for (const s of sent) {
      const user = s.kind === 'digest' ? s.key.split(':')[1] : await ownerOf(s.key);
      lines.push(`${local(s.at).padEnd(10)} ${user!.padEnd(6)} ${s.channel.padEnd(7)} ${(s.kind === 'digest' ? 'DIGEST' : s.silent ? 'silent' : '').padEnd(7)} ${s.titles.join(' + ').padEnd(44)} ${await why(s)}`);
    }
    console.log(['[day] one day of notifications (Europe/Berlin, quiet hours 22:00-08:00, flow 10:00-11:30):', ...lines].join('\n'));

    const find = (channel: string, title: string, user = 'mira') => sent.filter((s) => s.channel === channel && s.titles.includes(title) && (s.kind === 'digest' ? s.key.includes(`:${user}:`) : true));
    // Critical at once, everywhere, even in quiet hours.
    expect(find('in_app', 'Maintenance in 20 minutes').map((s) => s.at)).toEqual([at(1, 7, 40)]);
    expect(find('email', 'Maintenance in 20 minutes').map((s) => s.at)).toEqual([at(1, 7, 40)]);
    // A high alert in quiet hours: in-app silently now, email at 08:00.
    expect(find('in_app', 'Workflow failed')).toEqual([expect.objectContaining({ at: at(1, 7, 10), silent: true })]);
    expect(find('email', 'Workflow failed').map((s) => s.at)).toEqual([at(1, 8, 0)]);
    // In flow from 10:00 to 11:30: the conflict waits for its end; its repeat is folded.
    expect(find('in_app', 'Editing conflict ahead').filter((s) => s.kind === 'single').map((s) => s.at)).toContain(at(1, 11, 30));
    // The low ones and the folded repeat go out in the next morning's 09:00 digest.
    const digest = sent.find((s) => s.kind === 'digest' && s.key.includes(':mira:'))!;
    expect(digest.at).toBe(at(2, 9, 0));
    expect(digest.titles).toEqual(expect.arrayContaining(['Time for a break?', 'Goal met', 'Editing conflict ahead']));
    // Past 22:00: email held to 08:00 the next day.
    expect(find('email', 'Upload failed').map((s) => s.at)).toEqual([at(2, 8, 0)]);
    // Every email the log shows reached the SMTP server, once.
    expect(sink.messages).toHaveLength(sent.filter((s) => s.channel === 'email').length);
    expect(new Set(sent.map((s) => s.key)).size).toBe(sent.length);
  });
});
