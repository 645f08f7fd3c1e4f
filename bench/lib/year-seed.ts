/**
 * A year of writing for one project, for the `queries` scenario: WRITERS writers, each in their
 * own time zone, writing on most days in one or two sessions at their own hours, into the
 * project's chapters. Written through the server's own repositories (src/db/client.ts
 * createDatabase), so the minute buckets, quarter and day rollups, sessions and archived events
 * are exactly what a server that had run for a year would hold. Deterministic (seeded PRNG)
 * apart from event ids (UUIDv7 of the event time with random bits).
 */
import { createHash } from 'node:crypto';
import { createDatabase } from '../../src/db/client.js';
import { createEvent, type EventType, type StoryloomEvent } from '../../src/events/schema.js';
import { createLogger } from '../../src/lib/logger.js';
import type { StoredSession, WritingBucketDelta } from '../../src/services/writing/ports.js';
import { prng } from './prng.js';

export const SEED_PROJECT = 'bench-q';
export const SEED_WRITERS = 10;
export const SEED_DAYS = 365;
export const SEED_CHAPTERS = 12;
/** Deltas per addBuckets call: MAX_DELTAS_PER_STATEMENT of src/db/repositories/writing-rollups.ts. */
const BUCKET_BATCH = 4_000;
const EVENT_BATCH = 4_000;
const SESSION_BATCH = 50;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Each writer's zone and usual local start hour (a second session, when there is one, ~8 h later). */
const WRITER_PROFILES: { timeZone: string; hour: number; goal: number | null }[] = [
  { timeZone: 'Europe/London', hour: 6, goal: 1_500 },
  { timeZone: 'Europe/Berlin', hour: 9, goal: null },
  { timeZone: 'America/New_York', hour: 21, goal: 2_000 },
  { timeZone: 'America/Los_Angeles', hour: 5, goal: null },
  { timeZone: 'Asia/Tokyo', hour: 14, goal: 1_000 },
  { timeZone: 'Australia/Sydney', hour: 19, goal: null },
  { timeZone: 'UTC', hour: 10, goal: 2_500 },
  { timeZone: 'Asia/Kolkata', hour: 7, goal: null },
  { timeZone: 'America/Sao_Paulo', hour: 22, goal: 1_200 },
  { timeZone: 'Europe/Paris', hour: 13, goal: null },
];

export interface SeedCounts {
  writers: number;
  days: number;
  activeWriterDays: number;
  sessions: number;
  bucketRows: number;
  quarterRows: number;
  dayRows: number;
  wordsNet: number;
  events: number;
  eventsByCategory: Record<string, number>;
}

export interface SeededYear {
  counts: SeedCounts;
  writers: { userId: string; timeZone: string }[];
  /** Archived event ids by category, ascending (= by time): deep-page cursors come from here. */
  eventIds: Record<string, string[]>;
  /** First and last seeded day (UTC, YYYY-MM-DD). */
  firstDay: string;
  lastDay: string;
  ms: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

/** Minutes east of UTC of `timeZone` at `at` (DST-aware, via Intl; cached per zone and hour). */
function offsetMinutes(timeZone: string, at: number): number {
  const key = `${timeZone}|${Math.floor(at / 3_600_000)}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(timeZone, format);
  }
  const hour = Math.floor(at / 3_600_000) * 3_600_000;
  const parts = format.formatToParts(hour);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const offset = Math.round((Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - hour) / MINUTE);
  offsets.set(key, offset);
  return offset;
}

function localDay(timeZone: string, at: number): string {
  return new Date(at + offsetMinutes(timeZone, at) * MINUTE).toISOString().slice(0, 10);
}

const actorOf = (userId: string) => createHash('sha256').update(`bench-actor:${userId}`).digest('hex').slice(0, 32);

interface PlannedSession {
  userId: string;
  documentId: string;
  start: number;
  minutes: WritingBucketDelta[];
}

/** The year's sessions and their minute buckets, oldest first; nothing later than `until`. */
function planYear(until: number, random: () => number): PlannedSession[] {
  const today = Math.floor(until / DAY) * DAY;
  const sessions: PlannedSession[] = [];
  for (let d = SEED_DAYS; d >= 1; d--) {
    const dayStart = today - d * DAY;
    WRITER_PROFILES.forEach((profile, w) => {
      if (random() > 0.82) return; // ~300 of 365 days
      const userId = `writer${w}`;
      const count = random() < 0.35 ? 2 : 1;
      for (let s = 0; s < count; s++) {
        const localHour = profile.hour + s * 8 + (random() - 0.5) * 2;
        const localStart = dayStart + Math.round(localHour * 60) * MINUTE;
        const start = localStart - offsetMinutes(profile.timeZone, localStart) * MINUTE;
        const length = 30 + Math.floor(random() * 91); // 30-120 min
        if (start + length * MINUTE > until) continue;
        // Writers move through the chapters over the year, each from a different one.
        const chapter = 1 + ((w + Math.floor((SEED_DAYS - d) / 30) + s) % SEED_CHAPTERS);
        const documentId = `chapter-${chapter}`;
        const minutes: WritingBucketDelta[] = [];
        for (let m = 0; m < length; m++) {
          if (random() < 0.12) continue; // a pause: no bucket that minute
          const added = 15 + Math.floor(random() * 31);
          const removed = random() < 0.3 ? 1 + Math.floor(random() * Math.min(10, added - 1)) : 0;
          minutes.push({
            userId,
            projectId: SEED_PROJECT,
            documentId,
            minute: start + m * MINUTE,
            wordsAdded: added,
            wordsRemoved: removed,
            wordsNet: added - removed,
            activeSeconds: 35 + Math.floor(random() * 26),
          });
        }
        if (minutes.length > 0) sessions.push({ userId, documentId, start, minutes });
      }
    });
  }
  return sessions.sort((a, b) => a.start - b.start);
}

function storedSession(plan: PlannedSession, index: number): StoredSession {
  const last = plan.minutes[plan.minutes.length - 1]!;
  const endedAt = last.minute + MINUTE;
  const sum = (key: 'wordsAdded' | 'wordsRemoved' | 'wordsNet' | 'activeSeconds') => plan.minutes.reduce((s, m) => s + m[key], 0);
  const writingMs = sum('activeSeconds') * 1000;
  const lengthMs = endedAt - plan.start;
  const flowMs = plan.minutes.length >= 45 ? Math.round(writingMs * 0.4) : 0;
  const warmMs = Math.min(180_000, writingMs);
  const composed = sum('wordsNet');
  return {
    id: `bench-${plan.userId}-${index}`,
    userId: plan.userId,
    projectId: SEED_PROJECT,
    state: 'ended',
    startedAt: plan.start,
    endedAt,
    endReason: 'timeout',
    updatedAt: endedAt,
    summary: {
      lengthMs,
      writingMs,
      timeInState: {
        idle: 0,
        warming_up: warmMs,
        active: Math.max(0, writingMs - warmMs - flowMs),
        flow: flowMs,
        paused: Math.max(0, lengthMs - writingMs),
        break: 0,
        ended: 0,
      },
      totals: {
        wordsAdded: sum('wordsAdded'),
        wordsRemoved: sum('wordsRemoved'),
        netWords: composed,
        composedWords: composed,
        pastedWords: 0,
        chars: sum('wordsAdded') * 6 + sum('wordsRemoved') * 6,
        edits: plan.minutes.length * 12,
        pastes: 0,
      },
      wordsPerHour: writingMs >= 60_000 ? Math.round((composed / (writingMs / 3_600_000)) * 10) / 10 : null,
      documents: [plan.documentId],
      flowEpisodes: flowMs > 0 ? 1 : 0,
    },
  };
}

/** What the server would have archived for one session: start/end, words every 5 min, joins and edits. */
function sessionEvents(plan: PlannedSession, session: StoredSession, random: () => number): StoryloomEvent[] {
  const actor = actorOf(plan.userId);
  const base = { actor, projectId: SEED_PROJECT, documentId: plan.documentId };
  const out: StoryloomEvent[] = [];
  const push = <T extends EventType>(type: T, at: number, payload: Parameters<typeof createEvent<T>>[1]['payload']) =>
    out.push(createEvent(type, { ...base, occurredAt: at, payload }) as StoryloomEvent);
  push('collaboration.user_joined', plan.start - 5_000, { role: 'editor', client: 'web' });
  push('writing.session_started', plan.start, { sessionId: session.id, wordCount: 1_000 + Math.floor(random() * 50_000) });
  for (let i = 0; i < plan.minutes.length; i += 5) {
    const window = plan.minutes.slice(i, i + 5);
    const at = window[window.length - 1]!.minute + MINUTE - 1;
    const added = window.reduce((s, m) => s + m.wordsAdded, 0);
    const removed = window.reduce((s, m) => s + m.wordsRemoved, 0);
    push('writing.words_written', at, { sessionId: session.id, added, removed, net: added - removed, wpm: Math.round((added - removed) / window.length), windowMs: 300_000 });
    if (i % 10 === 0) push('collaboration.document_edited', at + 1, { updates: 20 + Math.floor(random() * 200), bytes: 2_000 + Math.floor(random() * 30_000), netWords: added - removed, origin: 'connection' });
  }
  const t = session.summary.totals;
  push('writing.session_ended', session.endedAt!, {
    sessionId: session.id,
    durationMs: session.summary.lengthMs,
    activeMs: session.summary.writingMs,
    wordsAdded: t.wordsAdded,
    wordsRemoved: t.wordsRemoved,
    netWords: t.netWords,
    reason: 'idle_timeout',
  });
  push('collaboration.user_left', session.endedAt! + 60_000, { durationMs: session.summary.lengthMs + 65_000, reason: 'closed' });
  return out;
}

/**
 * Seeds the year into the database of `dataDir` (PGlite) or `databaseUrl` (Postgres), then
 * closes it. `progress` gets a line every few seconds. Bounded: the plan is finite (365 days,
 * 10 writers) and every batch is one statement; `deadlineMs` aborts a seed that crawls.
 */
export async function seedYear(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  now: number;
  deadlineMs: number;
  progress: (line: string) => void;
}): Promise<SeededYear> {
  const t0 = performance.now();
  const random = prng(20_240_601);
  const plan = planYear(options.now, random);
  const writers = WRITER_PROFILES.map((p, w) => ({ userId: `writer${w}`, timeZone: p.timeZone }));
  const zoneOf = new Map(writers.map((w) => [w.userId, w.timeZone]));

  const deltas = plan.flatMap((s) => s.minutes);
  const sessions = plan.map((s, i) => storedSession(s, i));
  const quarterKeys = new Set(deltas.map((d) => `${d.userId}|${Math.floor(d.minute / 900_000)}`));
  const dayKeys = new Set(deltas.map((d) => `${d.userId}|${localDay(zoneOf.get(d.userId)!, d.minute)}`));
  const activeWriterDays = new Set(plan.map((s) => `${s.userId}|${Math.floor(s.start / DAY)}`)).size;
  const events = plan.flatMap((s, i) => sessionEvents(s, sessions[i]!, random)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const eventIds: Record<string, string[]> = {};
  for (const e of events) (eventIds[e.category] ??= []).push(e.id);
  options.progress(
    `  planned ${deltas.length.toLocaleString('en-US')} minute buckets, ${sessions.length.toLocaleString('en-US')} sessions, ` +
      `${events.length.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const db = await createDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, logger: createLogger({ level: 'warn' }) });
  const deadline = performance.now() + options.deadlineMs;
  const check = (what: string) => {
    if (performance.now() > deadline) throw new Error(`seeding took over ${options.deadlineMs / 1000} s (${what})`);
  };
  try {
    // Zones and goals first, as a real writer would have set them: the day rollups then count
    // in each writer's own zone without a rebuild.
    for (const [w, profile] of WRITER_PROFILES.entries()) {
      const userId = `writer${w}`;
      await db.writing.setPreferences({ userId, analyticsOptOut: false, timeZone: profile.timeZone });
      if (profile.goal !== null) await db.writing.setGoal({ userId, projectId: SEED_PROJECT, dailyWords: profile.goal, timeZone: profile.timeZone });
    }
    // PGlite runs one statement at a time anyway: a second batch in flight only overlaps building
    // the next statement with running this one. Postgres gets one at a time: two concurrent
    // upserts of neighbouring batches could lock the same rollup rows in opposite orders.
    const inFlight: Promise<unknown>[] = [];
    const pipelined = async (work: Promise<unknown>) => {
      work.catch(() => {}); // awaited below; this only keeps a failure from being "unhandled" meanwhile
      inFlight.push(work);
      if (inFlight.length >= (options.databaseUrl ? 1 : 2)) await inFlight.shift();
    };
    const drain = async () => {
      while (inFlight.length > 0) await inFlight.shift();
    };
    let last = performance.now();
    for (let i = 0; i < deltas.length; i += BUCKET_BATCH) {
      check('buckets');
      await pipelined(db.writing.addBuckets(deltas.slice(i, i + BUCKET_BATCH)));
      if (performance.now() - last > 3_000 || i + BUCKET_BATCH >= deltas.length) {
        last = performance.now();
        options.progress(`  buckets ${Math.min(i + BUCKET_BATCH, deltas.length).toLocaleString('en-US')} / ${deltas.length.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    await drain();
    for (let i = 0; i < sessions.length; i += SESSION_BATCH) {
      check('sessions');
      await Promise.all(sessions.slice(i, i + SESSION_BATCH).map((s) => db.writing.saveSession(s)));
    }
    options.progress(`  sessions ${sessions.length.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    let appended = 0;
    for (let i = 0; i < events.length; i += EVENT_BATCH) {
      check('events');
      await pipelined(db.events.append(events.slice(i, i + EVENT_BATCH)).then((n) => (appended += n)));
      if (performance.now() - last > 3_000 || i + EVENT_BATCH >= events.length) {
        last = performance.now();
        options.progress(`  events ${appended.toLocaleString('en-US')} / ${events.length.toLocaleString('en-US')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    await drain();
    if (appended !== events.length) throw new Error(`archived ${appended} of ${events.length} events (duplicate ids?)`);
  } finally {
    await db.close();
  }

  const eventsByCategory = Object.fromEntries(Object.entries(eventIds).map(([c, ids]) => [c, ids.length]));
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    counts: {
      writers: SEED_WRITERS,
      days: SEED_DAYS,
      activeWriterDays,
      sessions: sessions.length,
      bucketRows: new Set(deltas.map((d) => `${d.userId}|${d.documentId}|${d.minute}`)).size,
      quarterRows: quarterKeys.size,
      dayRows: dayKeys.size,
      wordsNet: deltas.reduce((s, d) => s + d.wordsNet, 0),
      events: events.length,
      eventsByCategory,
    },
    writers,
    eventIds,
    firstDay: dayOf(Math.floor(options.now / DAY) * DAY - SEED_DAYS * DAY),
    lastDay: dayOf(Math.floor(options.now / DAY) * DAY - DAY),
    ms: performance.now() - t0,
  };
}
