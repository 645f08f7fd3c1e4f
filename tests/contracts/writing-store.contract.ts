import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import type { StoredSession, WritingBucketDelta, WritingStore } from '../../src/services/writing/ports.js';
import type { SessionSummary, WritingState } from '../../src/tracking/writing/session-types.js';
import { uniqueName } from '../helpers/services.js';
import type { OpenedDatabase } from './document-store.contract.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);

/** A delta of `net` words (all added) in one minute. */
export function delta(userId: string, projectId: string, iso: string, net: number, extra: Partial<WritingBucketDelta> = {}): WritingBucketDelta {
  return { userId, projectId, documentId: 'chapter-1', minute: at(iso), wordsAdded: net, wordsRemoved: 0, wordsNet: net, activeSeconds: 60, ...extra };
}

/** A closed session with the given writing time, composed words and time per state. */
export function session(
  userId: string,
  projectId: string,
  startedIso: string,
  writingMs: number,
  composedWords: number,
  timeInState: Partial<Record<WritingState, number>> = {},
  overrides: Partial<StoredSession> = {},
): StoredSession {
  const startedAt = at(startedIso);
  const states = { idle: 0, warming_up: 0, active: writingMs, flow: 0, paused: 0, break: 0, ended: 0, ...timeInState };
  const summary: SessionSummary = {
    lengthMs: writingMs,
    writingMs,
    timeInState: states,
    totals: { wordsAdded: composedWords, wordsRemoved: 0, netWords: composedWords, composedWords, pastedWords: 0, chars: composedWords * 6, edits: composedWords, pastes: 0 },
    wordsPerHour: writingMs >= MIN ? composedWords / (writingMs / HOUR) : null,
    documents: ['chapter-1'],
    flowEpisodes: 0,
  };
  return { id: uniqueName('s'), userId, projectId, state: 'ended', startedAt, endedAt: startedAt + writingMs, endReason: 'timeout', summary, updatedAt: startedAt + writingMs, ...overrides };
}

/** The WritingStore contract, run once per backend on a freshly migrated database. */
export function writingStoreContract(name: string, open: () => Promise<OpenedDatabase>): void {
  describe(`WritingStore contract: ${name}`, () => {
    let handle: OpenedDatabase | undefined;
    const store = (): WritingStore => {
      if (!handle) throw new Error('database not open');
      return handle.db.writing;
    };
    const report = async (projectId: string, fromDay: string, toDay: string, timeZone: string, userId?: string) =>
      store().projectWriting({ projectId, fromDay, toDay, timeZone, ...(userId ? { userId } : {}) });

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    it('adds deltas to their minute bucket, within a batch and across batches', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().addBuckets([]);
      await store().addBuckets([
        delta(u, p, '2025-03-10T10:00:00Z', 10, { wordsAdded: 12, wordsRemoved: 2, activeSeconds: 20 }),
        delta(u, p, '2025-03-10T10:00:00Z', 5, { activeSeconds: 30 }),
        delta(u, p, '2025-03-10T10:01:00Z', 7),
        delta(u, p, '2025-03-10T10:01:00Z', 1, { documentId: 'chapter-2' }),
      ]);
      await store().addBuckets([delta(u, p, '2025-03-10T10:00:00Z', -3, { wordsAdded: 0, wordsRemoved: 3, activeSeconds: 5 })]);
      expect(await store().wordsBetween(u, p, at('2025-03-10T10:00:00Z'), at('2025-03-10T10:01:00Z'))).toBe(12);
      expect(await store().wordsBetween(u, p, at('2025-03-10T10:00:00Z'), at('2025-03-10T10:02:00Z'))).toBe(20);
      expect(await store().wordsBetween(u, p, at('2025-03-10T10:02:00Z'), at('2025-03-11T00:00:00Z'))).toBe(0);
      expect(await store().wordsBetween(u, uniqueName('other'), 0, at('2030-01-01T00:00:00Z'))).toBe(0);
      const { writers } = await report(p, '2025-03-10', '2025-03-10', 'UTC');
      expect(writers.map((w) => w.days)).toEqual([
        [{ userId: u, day: '2025-03-10', wordsAdded: 25, wordsRemoved: 5, wordsNet: 20, activeSeconds: 175 }],
      ]);
    });

    it('sums words and counts active minutes per writer of one document', async () => {
      const [p, u, v] = [uniqueName('p'), uniqueName('u'), uniqueName('v')]; // u sorts before v
      await store().addBuckets([
        delta(u, p, '2025-03-10T10:00:00Z', 10),
        delta(u, p, '2025-03-10T10:01:00Z', -4, { wordsAdded: 1, wordsRemoved: 5, activeSeconds: 30 }),
        delta(u, p, '2025-03-10T10:02:00Z', 0, { activeSeconds: 0 }), // an empty minute is not active
        delta(u, p, '2025-03-10T10:03:00Z', -2, { wordsAdded: 0, wordsRemoved: 2, activeSeconds: 0 }), // a deletion is
        delta(u, p, '2025-03-10T10:04:00Z', 7, { documentId: 'chapter-2' }),
        delta(v, p, '2025-03-10T10:00:00Z', 3, { activeSeconds: 12 }),
        delta(v, uniqueName('other'), '2025-03-10T10:00:00Z', 99),
      ]);
      await store().addBuckets([delta(v, p, '2025-03-10T10:00:00Z', 2, { activeSeconds: 5 })]);
      expect(await store().documentContributions(p, 'chapter-1')).toEqual([
        { userId: u, wordsAdded: 11, wordsRemoved: 7, wordsNet: 4, activeMinutes: 3 },
        { userId: v, wordsAdded: 5, wordsRemoved: 0, wordsNet: 5, activeMinutes: 1 },
      ]);
      expect(await store().documentContributions(p, 'chapter-2')).toEqual([{ userId: u, wordsAdded: 7, wordsRemoved: 0, wordsNet: 7, activeMinutes: 1 }]);
      // A minute counts once it becomes active, whichever batch makes it so, and not before.
      const w = uniqueName('w');
      await store().addBuckets([delta(w, p, '2025-03-10T11:00:00Z', 0, { activeSeconds: 0 }), delta(w, p, '2025-03-10T11:01:00Z', 3)]);
      await store().addBuckets([delta(w, p, '2025-03-10T11:00:00Z', 0, { activeSeconds: 0 }), delta(w, p, '2025-03-10T11:01:00Z', 2)]);
      expect((await store().documentContributions(p, 'chapter-1')).find((c) => c.userId === w)).toEqual({ userId: w, wordsAdded: 5, wordsRemoved: 0, wordsNet: 5, activeMinutes: 1 });
      await store().addBuckets([delta(w, p, '2025-03-10T11:00:00Z', 0, { activeSeconds: 4 }), delta(w, p, '2025-03-10T11:00:00Z', 0, { activeSeconds: 1 })]);
      expect((await store().documentContributions(p, 'chapter-1')).find((c) => c.userId === w)).toEqual({ userId: w, wordsAdded: 5, wordsRemoved: 0, wordsNet: 5, activeMinutes: 2 });

      expect(await store().documentContributions(p, 'missing')).toEqual([]);
    });

    it('keeps every delta of a batch larger than one statement', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      const start = at('2025-01-01T00:00:00Z');
      const deltas = Array.from({ length: 9_000 }, (_, i) => ({ ...delta(u, p, '2025-01-01T00:00:00Z', 1), minute: start + (i % 6_000) * MIN }));
      await store().addBuckets(deltas);
      expect(await store().wordsBetween(u, p, start, start + 10_000 * MIN)).toBe(9_000);
    });

    it('saves, replaces, reads and lists sessions newest first', async () => {
      const [p, u, v] = [uniqueName('p'), uniqueName('u'), uniqueName('v')];
      const first = session(u, p, '2025-03-10T08:00:00Z', 30 * MIN, 600, { flow: 5 * MIN });
      const second = session(v, p, '2025-03-10T09:00:00Z', 20 * MIN, 300);
      const third = session(u, p, '2025-03-11T09:00:00Z', 10 * MIN, 100);
      const open = { ...session(u, p, '2025-03-12T09:00:00Z', 5 * MIN, 50), state: 'active' as const, endedAt: null, endReason: null };
      for (const s of [first, second, third, open]) await store().saveSession(s);
      expect(await store().getSession(first.id)).toEqual(first);
      expect(await store().getSession(open.id)).toEqual(open);
      expect(await store().getSession(uniqueName('missing'))).toBeNull();

      const closed = { ...open, state: 'ended' as const, endedAt: open.startedAt + 6 * MIN, endReason: 'explicit' as const, updatedAt: open.startedAt + 6 * MIN };
      await store().saveSession(closed);
      expect(await store().getSession(open.id)).toEqual(closed);

      const all = await store().listSessions({ projectId: p, from: 0, to: at('2026-01-01T00:00:00Z'), limit: 10 });
      expect(all.map((s) => s.id)).toEqual([open.id, third.id, second.id, first.id]);
      const range = await store().listSessions({ projectId: p, from: at('2025-03-10T08:00:00Z'), to: at('2025-03-11T09:00:00Z'), limit: 10 });
      expect(range.map((s) => s.id)).toEqual([second.id, first.id]);
      const mine = await store().listSessions({ projectId: p, userId: u, from: 0, to: at('2026-01-01T00:00:00Z'), limit: 2 });
      expect(mine.map((s) => s.id)).toEqual([open.id, third.id]);
    });

    it('saves many sessions in one call: inserts, replaces, the last row of a repeated id wins', async () => {
      const [p, u, v] = [uniqueName('p'), uniqueName('u'), uniqueName('v')];
      await store().saveSessions([]);
      const a = session(u, p, '2025-04-01T08:00:00Z', 10 * MIN, 100, { flow: 2 * MIN });
      const openB = { ...session(v, p, '2025-04-01T09:00:00Z', 5 * MIN, 50), state: 'active' as const, endedAt: null, endReason: null };
      await store().saveSession(a);
      const newerA = { ...a, summary: { ...a.summary, writingMs: 11 * MIN }, updatedAt: a.updatedAt + MIN };
      const closedB = { ...openB, state: 'ended' as const, endedAt: openB.startedAt + 6 * MIN, endReason: 'explicit' as const, updatedAt: openB.startedAt + 6 * MIN };
      const c = session(u, p, '2025-04-02T08:00:00Z', 20 * MIN, 400);
      await store().saveSessions([newerA, openB, c, closedB]);
      expect(await store().getSession(a.id)).toEqual(newerA);
      expect(await store().getSession(openB.id)).toEqual(closedB);
      expect(await store().getSession(c.id)).toEqual(c);
      const listed = await store().listSessions({ projectId: p, from: 0, to: at('2026-01-01T00:00:00Z'), limit: 10 });
      expect(listed.map((s) => s.id)).toEqual([c.id, openB.id, a.id]);
      // The plain columns follow the summary (the report and the median read them).
      expect(await store().medianWpmMany([u], 0)).toEqual(new Map([[u, (100 / 11 + 20) / 2]]));
    });

    it('sets, replaces and lists goals; rejects unknown time zones', async () => {
      const [p, u, v] = [uniqueName('p'), uniqueName('u'), uniqueName('v')];
      expect(await store().getGoal(u, p)).toBeNull();
      const before = Date.now();
      const goal = await store().setGoal({ userId: u, projectId: p, dailyWords: 500, timeZone: 'Europe/Paris' });
      expect(goal).toMatchObject({ userId: u, projectId: p, dailyWords: 500, timeZone: 'Europe/Paris' });
      expect(goal.updatedAt).toBeGreaterThanOrEqual(before - 5_000);
      expect(await store().getGoal(u, p)).toEqual(goal);
      await store().setGoal({ userId: u, projectId: p, dailyWords: 800, timeZone: 'Asia/Tokyo' });
      await store().setGoal({ userId: v, projectId: p, dailyWords: 100, timeZone: 'UTC' });
      expect((await store().listGoals(p)).map((g) => [g.userId, g.dailyWords, g.timeZone])).toEqual(
        [[u, 800, 'Asia/Tokyo'], [v, 100, 'UTC']].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const rejected = await store().setGoal({ userId: u, projectId: p, dailyWords: 1, timeZone: 'Mars/Olympus' }).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(AppError);
      expect((rejected as AppError).code).toBe('validation-failed');
      expect((await store().getGoal(u, p))?.dailyWords).toBe(800);
    });

    it('stores preferences', async () => {
      const u = uniqueName('u');
      expect(await store().getPreferences(u)).toBeNull();
      expect(await store().setPreferences({ userId: u, analyticsOptOut: true, timeZone: 'America/New_York' })).toEqual({ userId: u, analyticsOptOut: true, timeZone: 'America/New_York' });
      expect(await store().getPreferences(u)).toEqual({ userId: u, analyticsOptOut: true, timeZone: 'America/New_York' });
      await store().setPreferences({ userId: u, analyticsOptOut: false, timeZone: 'UTC' });
      expect(await store().getPreferences(u)).toEqual({ userId: u, analyticsOptOut: false, timeZone: 'UTC' });
    });

    it('reads goals and preferences of many writers at once; absent ones are left out', async () => {
      const [p, q, u, v, w] = [uniqueName('p'), uniqueName('q'), uniqueName('u'), uniqueName('v'), uniqueName('w')];
      expect(await store().goalsFor([])).toEqual([]);
      const ugoal = await store().setGoal({ userId: u, projectId: p, dailyWords: 500, timeZone: 'Europe/Paris' });
      const vgoal = await store().setGoal({ userId: v, projectId: q, dailyWords: 200, timeZone: 'UTC' });
      await store().setGoal({ userId: u, projectId: q, dailyWords: 300, timeZone: 'UTC' }); // not asked for
      const goals = await store().goalsFor([
        { userId: u, projectId: p },
        { userId: v, projectId: q },
        { userId: v, projectId: p }, // no goal
        { userId: w, projectId: p }, // unknown writer
      ]);
      expect(goals.sort((a, b) => a.dailyWords - b.dailyWords)).toEqual([vgoal, ugoal]);

      expect(await store().getPreferencesMany([])).toEqual(new Map());
      await store().setPreferences({ userId: u, analyticsOptOut: true, timeZone: 'America/New_York' });
      await store().setPreferences({ userId: v, analyticsOptOut: false, timeZone: 'UTC' });
      expect(await store().getPreferencesMany([u, v, w])).toEqual(
        new Map([
          [u, { userId: u, analyticsOptOut: true, timeZone: 'America/New_York' }],
          [v, { userId: v, analyticsOptOut: false, timeZone: 'UTC' }],
        ]),
      );
    });

    it('counts days in the requested time zone', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().addBuckets([delta(u, p, '2025-03-10T23:30:00Z', 40), delta(u, p, '2025-03-10T12:00:00Z', 2)]);
      const utc = await report(p, '2025-03-09', '2025-03-12', 'UTC');
      expect(utc.writers[0]!.days.map((d) => [d.day, d.wordsNet])).toEqual([['2025-03-10', 42]]);
      const tokyo = await report(p, '2025-03-09', '2025-03-12', 'Asia/Tokyo');
      expect(tokyo.timeZone).toBe('Asia/Tokyo');
      expect(tokyo.writers[0]!.days.map((d) => [d.day, d.wordsNet])).toEqual([['2025-03-10', 2], ['2025-03-11', 40]]);
      // A range bound cuts through the zone's own midnight, not UTC's.
      expect((await report(p, '2025-03-11', '2025-03-11', 'Asia/Tokyo')).writers[0]!.days.map((d) => d.wordsNet)).toEqual([40]);
      expect((await report(p, '2025-03-11', '2025-03-11', 'UTC')).writers).toEqual([]);
    });

    it('reports the same days in any zone as grouping every minute by its day there', async () => {
      // Day rows are kept in each writer's own zone; a report in another zone takes a day row
      // whole or, when its writing crosses midnight there, reads its quarters. Reference: every
      // delta grouped by its calendar day in the report's zone (Intl), as the quarters path did.
      const p = uniqueName('p');
      const [ny, kolkata, utc] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
      await store().setPreferences({ userId: ny, analyticsOptOut: false, timeZone: 'America/New_York' });
      await store().setGoal({ userId: kolkata, projectId: p, dailyWords: 50, timeZone: 'Asia/Kolkata' });
      let seed = 12_345;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      const deltas: WritingBucketDelta[] = [];
      // Around the US (03-09) and EU (03-30) DST changes; sessions at every hour, some long.
      for (const base of ['2025-03-05T00:00:00Z', '2025-03-27T00:00:00Z']) {
        for (let day = 0; day < 6; day++) {
          for (const userId of [ny, kolkata, utc]) {
            for (let s = 0; s < 2; s++) {
              const start = at(base) + day * 24 * HOUR + Math.floor(random() * 96) * 15 * MIN + Math.floor(random() * 15) * MIN;
              const length = 5 + Math.floor(random() * 180);
              for (let m = 0; m < length; m += 1 + Math.floor(random() * 7)) {
                const added = Math.floor(random() * 40);
                const removed = Math.floor(random() * 5);
                deltas.push({ userId, projectId: p, documentId: 'chapter-1', minute: start + m * MIN, wordsAdded: added, wordsRemoved: removed, wordsNet: added - removed, activeSeconds: Math.floor(random() * 61) });
              }
            }
          }
        }
      }
      await store().addBuckets(deltas.slice(0, 500));
      await store().addBuckets(deltas.slice(500));
      const expected = (timeZone: string, from: string, to: string, userId: string) => {
        const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
        const days = new Map<string, [number, number, number, number]>();
        for (const d of deltas) {
          if (d.userId !== userId) continue;
          const day = format.format(d.minute);
          if (day < from || day > to) continue;
          const sums = days.get(day) ?? [0, 0, 0, 0];
          days.set(day, [sums[0] + d.wordsAdded, sums[1] + d.wordsRemoved, sums[2] + d.wordsNet, sums[3] + d.activeSeconds]);
        }
        return [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, [wordsAdded, wordsRemoved, wordsNet, activeSeconds]]) => ({ userId, day, wordsAdded, wordsRemoved, wordsNet, activeSeconds }));
      };
      const check = async (when: string) => {
        const zones = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Europe/Berlin', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Australia/Lord_Howe'];
        for (const timeZone of zones) {
          for (const [from, to] of [['2025-03-01', '2025-04-05'], ['2025-03-07', '2025-03-09'], ['2025-03-30', '2025-03-30']] as const) {
            const { writers } = await report(p, from, to, timeZone);
            for (const userId of [ny, kolkata, utc]) {
              const got = writers.find((w) => w.userId === userId)?.days ?? [];
              expect(got, `${when}: ${userId} in ${timeZone}, ${from}..${to}`).toEqual(expected(timeZone, from, to, userId));
            }
          }
        }
      };
      await check('as written');
      // The day rows are rebuilt in the new zone (first and last quarter included).
      await store().setPreferences({ userId: ny, analyticsOptOut: false, timeZone: 'Asia/Tokyo' });
      await store().setGoal({ userId: kolkata, projectId: p, dailyWords: 50, timeZone: 'America/Los_Angeles' });
      await check('after zone changes');
    });

    it('reports one writer or the whole project', async () => {
      const [p, u, v, w] = [uniqueName('p'), uniqueName('u'), uniqueName('v'), uniqueName('w')];
      await store().addBuckets([delta(u, p, '2025-03-10T10:00:00Z', 10), delta(v, p, '2025-03-10T10:00:00Z', 20)]);
      await store().setGoal({ userId: w, projectId: p, dailyWords: 100, timeZone: 'UTC' });
      const all = await report(p, '2025-03-10', '2025-03-10', 'UTC');
      expect(all.writers.map((x) => x.userId)).toEqual([u, v, w].sort());
      const one = await report(p, '2025-03-10', '2025-03-10', 'UTC', v);
      expect(one.writers.map((x) => [x.userId, x.days.map((d) => d.wordsNet)])).toEqual([[v, [20]]]);
      const nobody = uniqueName('x');
      const empty = await report(p, '2025-03-10', '2025-03-10', 'UTC', nobody);
      expect(empty.writers).toEqual([
        expect.objectContaining({ userId: nobody, days: [], sessions: 0, writingMs: 0, wordsPerHour: null, currentStreak: 0, longestStreak: 0 }),
      ]);
    });

    it('sums sessions, time in each state and pace over sessions started in the range', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().saveSession(session(u, p, '2025-03-10T08:00:00Z', 30 * MIN, 600, { warming_up: 2 * MIN, active: 20 * MIN, flow: 8 * MIN, paused: 3 * MIN }));
      await store().saveSession(session(u, p, '2025-03-11T08:00:00Z', 30 * MIN, 400, { warming_up: 1 * MIN, active: 29 * MIN, break: 10 * MIN }));
      await store().saveSession(session(u, p, '2025-03-12T08:00:00Z', 60 * MIN, 9_999));
      const { writers } = await report(p, '2025-03-10', '2025-03-11', 'UTC');
      expect(writers).toHaveLength(1);
      expect(writers[0]).toMatchObject({
        userId: u,
        sessions: 2,
        writingMs: 60 * MIN,
        composedWords: 1_000,
        wordsPerHour: 1_000,
        timeInState: { idle: 0, warming_up: 3 * MIN, active: 49 * MIN, flow: 8 * MIN, paused: 3 * MIN, break: 10 * MIN, ended: 0 },
      });
    });

    it('counts streaks without a goal: any positive day; a gap day breaks it', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      const days = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-05', '2025-03-06'];
      await store().addBuckets(days.map((d) => delta(u, p, `${d}T12:00:00Z`, 10)));
      await store().addBuckets([delta(u, p, '2025-03-07T12:00:00Z', 10), delta(u, p, '2025-03-07T13:00:00Z', -10)]);
      // The range is one day, but streaks look back over the whole history before it.
      expect((await report(p, '2025-03-06', '2025-03-06', 'UTC')).writers[0]).toMatchObject({ currentStreak: 2, longestStreak: 3 });
      // Net zero on the 7th: the day does not count, and it has ended.
      expect((await report(p, '2025-03-07', '2025-03-07', 'UTC')).writers[0]).toMatchObject({ currentStreak: 0, longestStreak: 3 });
      expect((await report(p, '2025-03-03', '2025-03-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 3, longestStreak: 3 });
    });

    it('counts streaks in the preferred time zone when there is no goal', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().setPreferences({ userId: u, analyticsOptOut: false, timeZone: 'UTC' });
      // An hour apart, across UTC midnight: two UTC days, one Tokyo morning.
      await store().addBuckets([delta(u, p, '2025-05-01T23:30:00Z', 5), delta(u, p, '2025-05-02T00:30:00Z', 5)]);
      expect((await report(p, '2025-05-02', '2025-05-02', 'UTC')).writers[0]).toMatchObject({ currentStreak: 2, longestStreak: 2 });
      await store().setPreferences({ userId: u, analyticsOptOut: false, timeZone: 'Asia/Tokyo' });
      expect((await report(p, '2025-05-02', '2025-05-02', 'UTC')).writers[0]).toMatchObject({ currentStreak: 1, longestStreak: 1 });
    });

    it('counts streaks against the daily goal, in the goal time zone', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().setPreferences({ userId: u, analyticsOptOut: false, timeZone: 'UTC' });
      // 23:30 UTC is the next morning in Tokyo.
      await store().addBuckets([
        delta(u, p, '2025-04-01T12:00:00Z', 600),
        delta(u, p, '2025-04-02T12:00:00Z', 300),
        delta(u, p, '2025-04-02T23:30:00Z', 300),
        delta(u, p, '2025-04-03T12:00:00Z', 700),
      ]);
      expect((await report(p, '2025-04-03', '2025-04-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 3, longestStreak: 3 });
      // UTC days: 600, 600, 700.
      await store().setGoal({ userId: u, projectId: p, dailyWords: 500, timeZone: 'UTC' });
      expect((await report(p, '2025-04-03', '2025-04-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 3, longestStreak: 3 });
      await store().setGoal({ userId: u, projectId: p, dailyWords: 650, timeZone: 'UTC' });
      expect((await report(p, '2025-04-03', '2025-04-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 1, longestStreak: 1 });
      // Tokyo days: 600, 300, 1000, whatever zone the report is shown in.
      await store().setGoal({ userId: u, projectId: p, dailyWords: 500, timeZone: 'Asia/Tokyo' });
      expect((await report(p, '2025-04-03', '2025-04-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 1, longestStreak: 1 });
      expect((await report(p, '2025-04-01', '2025-04-01', 'Asia/Tokyo')).writers[0]).toMatchObject({ currentStreak: 1, longestStreak: 1 });
      // New buckets follow the goal's zone too: 600 on the 4th in UTC, 300 + 300 over two Tokyo days.
      await store().addBuckets([delta(u, p, '2025-04-04T14:30:00Z', 300), delta(u, p, '2025-04-04T15:30:00Z', 300)]);
      expect((await report(p, '2025-04-05', '2025-04-05', 'UTC')).writers[0]).toMatchObject({ currentStreak: 0, longestStreak: 1 });
      // The goal's zone wins over a changed preference.
      await store().setPreferences({ userId: u, analyticsOptOut: false, timeZone: 'America/Los_Angeles' });
      expect((await report(p, '2025-04-03', '2025-04-03', 'UTC')).writers[0]).toMatchObject({ currentStreak: 1, longestStreak: 1 });
    });

    it('does not let today break a streak before it has ended', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      const today = new Date().toISOString().slice(0, 10);
      const day = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
      await store().addBuckets([delta(u, p, `${day(-2)}T12:00:00Z`, 5), delta(u, p, `${day(-1)}T12:00:00Z`, 5)]);
      expect((await report(p, today, today, 'UTC', u)).writers[0]).toMatchObject({ currentStreak: 2, days: [] });
      expect((await report(p, day(-1), day(-1), 'UTC', u)).writers[0]).toMatchObject({ currentStreak: 2 });
    });

    it('sums net words by hour of day in the requested zone', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      await store().addBuckets([
        delta(u, p, '2025-03-10T23:30:00Z', 40),
        delta(u, p, '2025-03-11T23:10:00Z', 10),
        delta(u, p, '2025-03-11T06:00:00Z', 7),
        delta(u, uniqueName('elsewhere'), '2025-03-11T06:00:00Z', 100),
        delta(u, p, '2025-02-01T06:00:00Z', 1_000),
      ]);
      const since = at('2025-03-01T00:00:00Z');
      const utc = await store().bestHours({ userId: u, projectId: p, since, timeZone: 'UTC' });
      expect(utc).toHaveLength(24);
      expect(utc.map((h) => h.hour)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      expect(utc.filter((h) => h.words !== 0)).toEqual([{ hour: 6, words: 7 }, { hour: 23, words: 50 }]);
      const tokyo = await store().bestHours({ userId: u, projectId: p, since, timeZone: 'Asia/Tokyo' });
      expect(tokyo.filter((h) => h.words !== 0)).toEqual([{ hour: 8, words: 50 }, { hour: 15, words: 7 }]);
      // +05:30: 23:30 UTC is 05:00, 23:10 UTC is 04:40.
      const kolkata = await store().bestHours({ userId: u, projectId: p, since, timeZone: 'Asia/Kolkata' });
      expect(kolkata.filter((h) => h.words !== 0)).toEqual([{ hour: 4, words: 10 }, { hour: 5, words: 40 }, { hour: 11, words: 7 }]);
      const everywhere = await store().bestHours({ userId: u, since, timeZone: 'UTC' });
      expect(everywhere.find((h) => h.hour === 6)).toEqual({ hour: 6, words: 107 });
    });

    it('takes the median words per minute over closed sessions of a minute or more', async () => {
      const [p, u] = [uniqueName('p'), uniqueName('u')];
      expect(await store().medianWpm(u, 0)).toBeNull();
      await store().saveSession(session(u, p, '2025-03-10T08:00:00Z', 10 * MIN, 100)); // 10 wpm
      await store().saveSession(session(u, p, '2025-03-11T08:00:00Z', 10 * MIN, 400)); // 40 wpm
      await store().saveSession(session(u, uniqueName('p2'), '2025-03-12T08:00:00Z', 10 * MIN, 200)); // 20 wpm, other project
      await store().saveSession(session(u, p, '2025-03-12T09:00:00Z', 30_000, 500)); // under a minute
      await store().saveSession({ ...session(u, p, '2025-03-12T10:00:00Z', 10 * MIN, 9_000), endedAt: null, endReason: null, state: 'flow' });
      await store().saveSession(session(u, p, '2025-01-01T08:00:00Z', 10 * MIN, 9_000)); // before `since`
      expect(await store().medianWpm(u, at('2025-03-01T00:00:00Z'))).toBe(20);
      expect(await store().medianWpm(u, at('2025-03-11T00:00:00Z'))).toBe(30);
      // The batch form answers the same per writer; writers without data are absent.
      const [v, w] = [uniqueName('v'), uniqueName('w')];
      await store().saveSession(session(v, p, '2025-03-10T08:00:00Z', 2 * MIN, 100)); // 50 wpm
      expect(await store().medianWpmMany([], 0)).toEqual(new Map());
      expect(await store().medianWpmMany([u, v, w], at('2025-03-01T00:00:00Z'))).toEqual(new Map([[u, 20], [v, 50]]));
      expect(await store().medianWpmMany([u, v], at('2025-03-11T00:00:00Z'))).toEqual(new Map([[u, 30]]));
    });
  });
}
