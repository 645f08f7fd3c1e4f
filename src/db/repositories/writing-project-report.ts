import { and, eq, sql, type SQLWrapper } from 'drizzle-orm';
import { AppError } from '../../lib/errors.js';
import type { ProjectWritingReport, WriterReport } from '../../services/writing/ports.js';
import { WRITING_STATES, type WritingState } from '../../tracking/writing/session-types.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingGoals, writingSessions } from '../schema/index.js';
import { addDays, computeStreaks, dayIn, parseDay } from '../writing-report.js';

/** How far back streaks look: a year and a bit, so "longest streak this year" is right. */
export const STREAK_WINDOW_DAYS = 400;

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
 * The per-project report: four independent queries, each over a rollup and an index prefix
 * (quarters by project+slot for the range, sessions by project+start, goals by project, days
 * by project+writer for the streak window), then assembly in TS. Writers are everyone with
 * words or sessions in the range or a goal in the project (or just `userId`); `days` lists only
 * days with activity, in ascending order.
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

  // Grouped by date, formatted per group: to_char on every quarter costs more than the scan.
  const rangeUser = q.userId === undefined ? sql`` : sql` and user_id = ${q.userId}`;
  const rangeDays = db
    .select({
      userId: sql<string>`x.user_id`,
      day: sql<string>`x.day::text`,
      wordsAdded: sql<number>`x.added::integer`.mapWith(Number),
      wordsRemoved: sql<number>`x.removed::integer`.mapWith(Number),
      wordsNet: sql<number>`x.net::integer`.mapWith(Number),
      activeSeconds: sql<number>`x.active::integer`.mapWith(Number),
    })
    .from(
      sql`(select user_id, (slot at time zone ${tz})::date as day, sum(words_added) as added, sum(words_removed) as removed,
                  sum(words_net) as net, sum(active_seconds) as active
           from writing_quarters where project_id = ${q.projectId} and slot >= ${lo} and slot < ${hi}${rangeUser}
           group by 1, 2) x`,
    )
    .orderBy(sql`1, 2`);

  // One JSON object per writer: { idle: ms, warming_up: ms, ... } summed over their sessions.
  const timeInState = sql<Record<WritingState, number>>`jsonb_build_object(${sql.join(
    WRITING_STATES.map((state) => sql`${state}::text, coalesce(sum((${writingSessions.summary}->'timeInState'->>${state}::text)::float8), 0)`),
    sql`, `,
  )})`.mapWith((v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<WritingState, number>);
  const sessions = db
    .select({
      userId: writingSessions.userId,
      sessions: sql<number>`count(*)::integer`.mapWith(Number),
      writingMs: sql<number>`sum(${writingSessions.writingMs})::float8`.mapWith(Number),
      composedWords: sumInt(writingSessions.composedWords),
      timeInState,
    })
    .from(writingSessions)
    .where(and(eq(writingSessions.projectId, q.projectId), sql`${writingSessions.startedAt} >= ${lo}`, sql`${writingSessions.startedAt} < ${hi}`, ...onlyUser(writingSessions)))
    .groupBy(writingSessions.userId);

  const goals = db
    .select({ userId: writingGoals.userId, dailyWords: writingGoals.dailyWords, timeZone: writingGoals.timeZone })
    .from(writingGoals)
    .where(and(eq(writingGoals.projectId, q.projectId), ...onlyUser(writingGoals)));

  // Streaks count in each writer's own zone; writing_days holds exactly those days. One row
  // per writer (days packed into a string): a year of days is thousands of rows otherwise,
  // and the zone lookups run once per writer instead of once per day.
  const windowStart = [q.fromDay, addDays(q.toDay, -(STREAK_WINDOW_DAYS - 1))].sort()[0]!;
  const streakDays = db
    .select({ userId: sql<string>`s.user_id`, timeZone: sql<string>`s.time_zone`, days: sql<string>`s.days` })
    .from(
      sql`(select user_id, time_zone, string_agg(day::text || '=' || words_net, ',') as days from writing_days
           where project_id = ${q.projectId} and day >= ${windowStart} and day <= ${q.toDay}${rangeUser}
           group by user_id, time_zone) s
         left join writing_goals g on g.project_id = ${q.projectId} and g.user_id = s.user_id
         left join writing_preferences p on p.user_id = s.user_id`,
    )
    .where(sql`s.time_zone = coalesce(g.time_zone, p.time_zone, 'UTC')`);

  const [dayRows, sessionRows, goalRows, streakRows] = await Promise.all([rangeDays, sessions, goals, streakDays]);

  const writerIds = new Set<string>([...dayRows, ...sessionRows, ...goalRows].map((r) => r.userId));
  if (q.userId !== undefined) writerIds.add(q.userId);
  const writers = [...writerIds].sort();
  const streakOf = new Map(streakRows.map((r) => [r.userId, r]));
  const goalOf = new Map(goalRows.map((g) => [g.userId, g.dailyWords]));

  const report: WriterReport[] = writers.map((userId) => {
    const s = sessionRows.find((r) => r.userId === userId);
    const timeInState = Object.fromEntries(WRITING_STATES.map((state) => [state, Number(s?.timeInState[state] ?? 0)])) as Record<WritingState, number>;
    const writingMs = s?.writingMs ?? 0;
    const composedWords = s?.composedWords ?? 0;
    // A writer without days in the window has no streak, whatever their zone.
    const history = streakOf.get(userId);
    const streaks = history
      ? computeStreaks(unpackDays(history.days), q.toDay, goalOf.get(userId) ?? null, dayIn(history.timeZone, q.now))
      : { currentStreak: 0, longestStreak: 0 };
    return {
      userId,
      days: dayRows.filter((r) => r.userId === userId),
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

/** "2025-03-10=420,2025-03-11=-5" -> days with net words. */
function unpackDays(packed: string): { day: string; wordsNet: number }[] {
  return packed.split(',').map((entry) => ({ day: entry.slice(0, 10), wordsNet: Number(entry.slice(11)) }));
}

function sumInt(column: SQLWrapper) {
  return sql<number>`coalesce(sum(${column}), 0)::integer`.mapWith(Number);
}
