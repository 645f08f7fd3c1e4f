import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { AppError } from '../../lib/errors.js';
import type { DayWords, ProjectWritingReport, WriterReport } from '../../services/writing/ports.js';
import { WRITING_STATES, type WritingState } from '../../tracking/writing/session-types.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingGoals, writingSessions } from '../schema/index.js';
import { addDays, computeStreaks, dayIn, daysBetween, parseDay } from '../../tracking/calendar.js';

/** How far back streaks look: a year and a bit, so "longest streak this year" is right. */
export const STREAK_WINDOW_DAYS = 400;

/** Pieces of split day rows per statement: four parameters each. */
const PIECES_PER_STATEMENT = 4_000;

export interface ProjectWritingQuery {
  projectId: string;
  fromDay: string;
  toDay: string;
  /** Canonical IANA zone (validated by the caller). */
  timeZone: string;
  userId?: string | undefined;
  /** Current time, ms: decides whether `toDay` is still in progress for a writer. */
  now: number;
}

/**
 * The per-project report. Writers are everyone with words or sessions in the range or a goal in
 * the project (or just `userId`); `days` lists only days with activity, in ascending order.
 *
 * Days are read from `writing_days` (per writer and day in the writer's own zone, the zone their
 * streaks count in), not from the quarters: a year of a 10-writer project is 3k day rows
 * against 24k quarters, and the same rows give the streaks. A day row goes whole to the report
 * day (in `tz`) of its first and last quarter when both fall on the same one, which is the
 * common case (all of a day's writing on one side of midnight in `tz`; always, when `tz` is the
 * writer's zone). The other rows ("split": writing across midnight in `tz`) are replaced by
 * their quarters, read by one more statement. The sums are those of grouping every quarter of
 * the range by its day in `tz`, which is what this report computed before. Midnights in `tz`
 * come from Postgres (its zone rules), so only integer comparisons happen here.
 *
 * Statements: writer days (packed one row per writer: thousands of result rows cost more than
 * the query), `tz`'s midnights (cached), sessions (index-only over a covering index), goals,
 * and the quarters of split rows when there are any.
 */
export async function projectWritingReport(db: DrizzleDatabase, q: ProjectWritingQuery): Promise<ProjectWritingReport> {
  if (parseDay(q.fromDay) === null || parseDay(q.toDay) === null) {
    throw new AppError('validation-failed', 'fromDay and toDay must be calendar dates (YYYY-MM-DD)', { fromDay: q.fromDay, toDay: q.toDay });
  }
  if (q.fromDay > q.toDay) throw new AppError('validation-failed', 'fromDay is after toDay', { fromDay: q.fromDay, toDay: q.toDay });
  const tz = q.timeZone;
  // Local midnights as instants; Postgres applies the zone's rules (DST) to each bound.
  const lo = sql`((${q.fromDay}::date)::timestamp at time zone ${tz})`;
  const hi = sql`((${q.toDay}::date + 1)::timestamp at time zone ${tz})`;
  const onlyUser = <T extends { userId: typeof writingGoals.userId | typeof writingSessions.userId }>(table: T) =>
    q.userId === undefined ? [] : [eq(table.userId, q.userId)];

  // Writer-zone days (each writer's current zone: goal, else preference, else UTC) for the
  // streak window and the range. Writer-zone days and `tz` days differ by at most two calendar
  // days (offsets span -12..+14 h), so the range needs two more days on each side.
  const windowStart = [q.fromDay, addDays(q.toDay, -(STREAK_WINDOW_DAYS - 1))].sort()[0]!;
  const firstScanned = addDays(q.fromDay, -2);
  const lastScanned = addDays(q.toDay, 2);
  const scanFrom = [firstScanned, windowStart].sort()[0]!;
  const writerDays = db
    .select({
      userId: sql<string>`d.user_id`,
      timeZone: sql<string>`d.time_zone`,
      // "day net" for streak-only days; "day added removed net active first last known" in range.
      // (concat_ws: one call per row, a quarter cheaper in PGlite than a chain of ||; no field is null.)
      days: sql<string>`string_agg(case when d.day < ${firstScanned}::date then concat_ws(' ', d.day, d.words_net)
        else concat_ws(' ', d.day, d.words_added, d.words_removed, d.words_net, d.active_seconds,
          coalesce(d.first_quarter, ${QUARTER_OF_INSTANT('d.day::timestamp at time zone d.time_zone')}),
          coalesce(d.last_quarter, ${QUARTER_OF_INSTANT('(d.day + 1)::timestamp at time zone d.time_zone')} - 1),
          (d.first_quarter is not null and d.last_quarter is not null)::integer) end, ',')`,
    })
    .from(
      sql`writing_days d
        left join writing_goals g on g.project_id = d.project_id and g.user_id = d.user_id
        left join writing_preferences p on p.user_id = d.user_id`,
    )
    .where(
      sql`d.project_id = ${q.projectId} and d.day >= ${scanFrom}::date and d.day <= ${lastScanned}::date
        and d.time_zone = coalesce(g.time_zone, p.time_zone, 'UTC')${q.userId === undefined ? sql`` : sql` and d.user_id = ${q.userId}`}`,
    )
    .groupBy(sql`d.user_id, d.time_zone`);

  // Time in each state from the session rows' plain columns (copies of summary.timeInState).
  const ws = writingSessions;
  const stateColumns: Record<WritingState, SQLWrapper> = {
    idle: ws.idleMs,
    warming_up: ws.warmingUpMs,
    active: ws.activeMs,
    flow: ws.flowMs,
    paused: ws.pausedMs,
    break: ws.breakMs,
    ended: ws.endedMs,
  };
  const stateSums = Object.fromEntries(
    WRITING_STATES.map((state) => [state, sql<number>`coalesce(sum(${stateColumns[state]}), 0)::float8`.mapWith(Number)]),
  ) as Record<WritingState, SQL<number>>;
  const sessions = db
    .select({
      userId: ws.userId,
      sessions: sql<number>`count(*)::integer`.mapWith(Number),
      writingMs: sql<number>`sum(${ws.writingMs})::float8`.mapWith(Number),
      composedWords: sumInt(ws.composedWords),
      ...stateSums,
    })
    .from(ws)
    .where(and(eq(ws.projectId, q.projectId), sql`${ws.startedAt} >= ${lo}`, sql`${ws.startedAt} < ${hi}`, ...onlyUser(ws)))
    .groupBy(ws.userId);

  const goals = db
    .select({ userId: writingGoals.userId, dailyWords: writingGoals.dailyWords, timeZone: writingGoals.timeZone })
    .from(writingGoals)
    .where(and(eq(writingGoals.projectId, q.projectId), ...onlyUser(writingGoals)));

  // Sessions and goals run beside the day queries (Postgres: on other connections); the split
  // pieces need the day rows first.
  const sessionsAndGoals = Promise.all([sessions.execute(), goals.execute()]);
  sessionsAndGoals.catch(() => undefined); // awaited below; only keeps an early failure from being "unhandled"
  const [dayRows, midnights] = await Promise.all([writerDays, reportMidnights(db, tz, q.fromDay, q.toDay)]);

  // Report days (index i = fromDay + i) per writer, from whole day rows and split rows' pieces.
  const dayCount = midnights.length - 1;
  const rangeDays = new Map<string, Map<number, Sums>>();
  const add = (userId: string, index: number, sums: Sums, sign = 1) => {
    if (index < 0 || index >= dayCount) return;
    let days = rangeDays.get(userId);
    if (!days) rangeDays.set(userId, (days = new Map()));
    const day = days.get(index);
    if (day) for (let k = 0; k < 4; k++) day[k]! += sign * sums[k]!;
    else days.set(index, sums.map((v) => sign * v) as Sums);
  };
  const streakOf = new Map<string, { timeZone: string; days: { day: string; wordsNet: number }[] }>();
  const pieces: Piece[] = [];
  for (const row of dayRows) {
    const streakDays: { day: string; wordsNet: number }[] = [];
    for (const entry of row.days.split(',')) {
      const fields = entry.split(' ');
      const day = fields[0]!;
      if (fields.length === 2) {
        streakDays.push({ day, wordsNet: Number(fields[1]) }); // before the range: in the window
        continue;
      }
      const [, added, removed, net, active, first, last, known] = fields as [string, string, string, string, string, string, string, string];
      if (day >= windowStart && day <= q.toDay) streakDays.push({ day, wordsNet: Number(net) });
      const sums: Sums = [Number(added), Number(removed), Number(net), Number(active)];
      const start = Number(first) * QUARTER_SECONDS;
      const a = reportDayOf(midnights, start);
      const b = reportDayOf(midnights, Number(last) * QUARTER_SECONDS);
      if (b < 0 || a >= dayCount) continue; // all of it before or after the range
      if (a === b) {
        add(row.userId, a, sums);
      } else if (known === '1') {
        // Across midnight in `tz`: the quarters of days a .. b-1 are read, day b (where the last
        // quarter is) gets the rest.
        add(row.userId, b, sums);
        for (let k = a; k < b; k++) pieces.push({ userId: row.userId, day: k, from: k === a ? start : midnights[k]!, to: midnights[k + 1]!, restDay: b });
      } else {
        // No first/last quarter (never filled in): the day's bounds, and every piece is read.
        const end = (Number(last) + 1) * QUARTER_SECONDS;
        for (let k = Math.max(a, 0); k <= Math.min(b, dayCount - 1); k++) {
          pieces.push({ userId: row.userId, day: k, from: k === a ? start : midnights[k]!, to: k === b ? end : midnights[k + 1]!, restDay: null });
        }
      }
    }
    // A writer without days in the streak window has no streak, whatever their zone.
    if (streakDays.length > 0) streakOf.set(row.userId, { timeZone: row.timeZone, days: streakDays });
  }
  for (let i = 0; i < pieces.length; i += PIECES_PER_STATEMENT) {
    const batch = pieces.slice(i, i + PIECES_PER_STATEMENT);
    const [row] = await pieceSums(db, q.projectId, batch);
    for (const entry of row?.sums?.split(',') ?? []) {
      const [index, added, removed, net, active] = entry.split(' ').map(Number) as [number, number, number, number, number];
      const piece = batch[index]!;
      const sums: Sums = [added, removed, net, active];
      add(piece.userId, piece.day, sums);
      if (piece.restDay !== null) add(piece.userId, piece.restDay, sums, -1);
    }
  }

  const [sessionRows, goalRows] = await sessionsAndGoals;
  const dayNames = Array.from({ length: dayCount }, (_, i) => addDays(q.fromDay, i));
  const writerIds = new Set<string>([...rangeDays.keys(), ...sessionRows.map((r) => r.userId), ...goalRows.map((r) => r.userId)]);
  if (q.userId !== undefined) writerIds.add(q.userId);
  const writers = [...writerIds].sort();
  const goalOf = new Map(goalRows.map((g) => [g.userId, g.dailyWords]));
  const sessionsOf = new Map(sessionRows.map((r) => [r.userId, r]));

  const report: WriterReport[] = writers.map((userId) => {
    const s = sessionsOf.get(userId);
    const timeInState = Object.fromEntries(WRITING_STATES.map((state) => [state, Number(s?.[state] ?? 0)])) as Record<WritingState, number>;
    const writingMs = s?.writingMs ?? 0;
    const composedWords = s?.composedWords ?? 0;
    const history = streakOf.get(userId);
    const streaks = history
      ? computeStreaks(history.days, q.toDay, goalOf.get(userId) ?? null, dayIn(history.timeZone, q.now))
      : { currentStreak: 0, longestStreak: 0 };
    const days: DayWords[] = [...(rangeDays.get(userId) ?? new Map<number, Sums>())]
      .sort((x, y) => x[0] - y[0])
      .map(([index, [wordsAdded, wordsRemoved, wordsNet, activeSeconds]]) => ({ userId, day: dayNames[index]!, wordsAdded, wordsRemoved, wordsNet, activeSeconds }));
    return {
      userId,
      days,
      sessions: s?.sessions ?? 0,
      timeInState,
      writingMs,
      composedWords,
      // As in the session model: no pace before a minute of writing time.
      wordsPerHour: writingMs >= 60_000 ? Math.round((composedWords / (writingMs / 3_600_000)) * 10) / 10 : null,
      ...streaks,
    };
  });
  return { projectId: q.projectId, from: q.fromDay, to: q.toDay, timeZone: tz, writers: report };
}

/** words added, removed, net, active seconds */
type Sums = [number, number, number, number];

const QUARTER_SECONDS = 900;
/** Quarter hours since 1970-01-01 UTC of an instant (SQL text over trusted column names). */
const QUARTER_OF_INSTANT = (instant: string) => sql.raw(`floor(extract(epoch from ${instant}) / 900)::integer`);

/**
 * Midnights in `tz` that start fromDay … toDay + 1, as Unix seconds (Postgres's zone rules).
 * Each is the instant after 23:59:59 of the day before: the first instant of the day even when
 * midnight is skipped or repeated by a DST change. Cached per database (its zone rules never
 * change while it runs).
 */
const midnightCaches = new WeakMap<DrizzleDatabase, Map<string, number[]>>();
const MIDNIGHT_CACHE_SIZE = 256;
async function reportMidnights(db: DrizzleDatabase, tz: string, fromDay: string, toDay: string): Promise<number[]> {
  let midnightCache = midnightCaches.get(db);
  if (!midnightCache) midnightCaches.set(db, (midnightCache = new Map()));
  const key = `${tz}|${fromDay}|${toDay}`;
  const cached = midnightCache.get(key);
  if (cached) return cached;
  const [row] = await db
    .select({
      seconds: sql<string>`string_agg(extract(epoch from ((d::date - 1)::timestamp + interval '23:59:59') at time zone ${tz} + interval '1 second')::bigint::text, ',' order by d)`,
    })
    .from(sql`generate_series(${fromDay}::date, ${addDays(toDay, 1)}::date, interval '1 day') d`);
  const midnights = row!.seconds.split(',').map(Number);
  if (midnights.length !== daysBetween(fromDay, toDay) + 2) throw new Error(`expected ${daysBetween(fromDay, toDay) + 2} midnights in ${tz}, got ${midnights.length}`);
  if (midnightCache.size >= MIDNIGHT_CACHE_SIZE) midnightCache.delete(midnightCache.keys().next().value!);
  midnightCache.set(key, midnights);
  return midnights;
}

/** Index of the report day holding `seconds`: -1 before the first midnight, midnights.length - 1 from the last. */
function reportDayOf(midnights: readonly number[], seconds: number): number {
  let low = 0;
  let high = midnights.length; // first midnight after `seconds` lies in [low, high]
  while (low < high) {
    const mid = (low + high) >> 1;
    if (midnights[mid]! <= seconds) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/** The quarters of one writer in [from, to) (Unix seconds): a split row's part on report day `day`. */
interface Piece {
  userId: string;
  day: number;
  from: number;
  to: number;
  /** The report day that holds the rest of the row (it was given the whole row), if any. */
  restDay: number | null;
}

/**
 * The sums of each piece's quarters, packed into one string: "index added removed net active"
 * for pieces with quarters. One lateral index range per piece (OFFSET 0 keeps the planner from
 * flattening it into a hash join of all the project's quarters against every range).
 */
function pieceSums(db: DrizzleDatabase, projectId: string, batch: readonly Piece[]) {
  const instant = (seconds: number) => new Date(seconds * 1000).toISOString();
  const ranges = sql.join(
    batch.map((p, i) => sql`(${i}::integer, ${p.userId}::text, ${instant(p.from)}::timestamptz, ${instant(p.to)}::timestamptz)`),
    sql`, `,
  );
  return db
    .select({ sums: sql<string | null>`string_agg(concat_ws(' ', x.i, x.added, x.removed, x.net, x.active), ',')` })
    .from(
      sql`(select r.i, sum(w.words_added) as added, sum(w.words_removed) as removed, sum(w.words_net) as net, sum(w.active_seconds) as active
           from (values ${ranges}) r (i, user_id, lo, hi)
           cross join lateral (
             select q.words_added, q.words_removed, q.words_net, q.active_seconds from writing_quarters q
             where q.project_id = ${projectId} and q.user_id = r.user_id and q.slot >= r.lo and q.slot < r.hi
             offset 0) w
           group by r.i) x`,
    );
}

function sumInt(column: SQLWrapper) {
  return sql<number>`coalesce(sum(${column}), 0)::integer`.mapWith(Number);
}
