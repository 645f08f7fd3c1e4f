/**
 * The WritingStore's batch forms (ports.ts): what the writing service's batch loaders call when
 * many writers start at once, one statement per kind instead of one per writer. The single
 * forms in writing.ts (saveSession, getGoal, getPreferences, medianWpm) call these with one item.
 */
import { and, gte, inArray, sql } from 'drizzle-orm';
import type { StoredSession, WritingGoal, WritingPreferences } from '../../services/writing/ports.js';
import type { SessionSummary, WritingState } from '../../tracking/writing/session-types.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingGoals, writingPreferences, writingSessions } from '../schema/index.js';

/** Rows per multi-row insert: ~17 parameters each, well under Postgres's 65,535. */
const SESSIONS_PER_STATEMENT = 500;

/** The session as its row, summary.timeInState spread into plain columns. */
function sessionRow(session: StoredSession) {
  return {
    id: session.id,
    userId: session.userId,
    projectId: session.projectId,
    state: session.state,
    startedAt: new Date(session.startedAt),
    endedAt: session.endedAt === null ? null : new Date(session.endedAt),
    endReason: session.endReason,
    writingMs: Math.round(session.summary.writingMs),
    composedWords: Math.round(session.summary.totals.composedWords),
    ...timeInStateColumns(session.summary),
    summary: session.summary,
    updatedAt: new Date(session.updatedAt),
  };
}

/** Every column but the id, from the row being inserted (`excluded`): one set for any number of rows. */
const sessionUpdate = {
  userId: sql`excluded.user_id`,
  projectId: sql`excluded.project_id`,
  state: sql`excluded.state`,
  startedAt: sql`excluded.started_at`,
  endedAt: sql`excluded.ended_at`,
  endReason: sql`excluded.end_reason`,
  writingMs: sql`excluded.writing_ms`,
  composedWords: sql`excluded.composed_words`,
  idleMs: sql`excluded.idle_ms`,
  warmingUpMs: sql`excluded.warming_up_ms`,
  activeMs: sql`excluded.active_ms`,
  flowMs: sql`excluded.flow_ms`,
  pausedMs: sql`excluded.paused_ms`,
  breakMs: sql`excluded.break_ms`,
  endedMs: sql`excluded.ended_ms`,
  summary: sql`excluded.summary`,
  updatedAt: sql`excluded.updated_at`,
};

/**
 * Inserts or replaces the sessions by id, one statement per 500 (atomic each). An id given twice
 * keeps its last row: Postgres refuses to update one row twice in a statement.
 */
export async function saveSessions(db: DrizzleDatabase, sessions: readonly StoredSession[]): Promise<void> {
  const rows = [...new Map(sessions.map((s) => [s.id, sessionRow(s)])).values()];
  for (let start = 0; start < rows.length; start += SESSIONS_PER_STATEMENT) {
    await db
      .insert(writingSessions)
      .values(rows.slice(start, start + SESSIONS_PER_STATEMENT))
      .onConflictDoUpdate({ target: writingSessions.id, set: sessionUpdate });
  }
}

export async function goalsFor(db: DrizzleDatabase, pairs: readonly { userId: string; projectId: string }[]): Promise<WritingGoal[]> {
  if (pairs.length === 0) return [];
  const g = writingGoals;
  // A row-value IN list: exactly these pairs, through the (user, project) key.
  const wanted = sql.join(
    pairs.map((p) => sql`(${p.userId}, ${p.projectId})`),
    sql`, `,
  );
  const rows = await db.select().from(g).where(sql`(${g.userId}, ${g.projectId}) in (${wanted})`);
  return rows.map(toGoal);
}

export async function getPreferencesMany(db: DrizzleDatabase, userIds: readonly string[]): Promise<Map<string, WritingPreferences>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.select().from(writingPreferences).where(inArray(writingPreferences.userId, [...userIds]));
  return new Map(rows.map((r) => [r.userId, { userId: r.userId, analyticsOptOut: r.analyticsOptOut, timeZone: r.timeZone }]));
}

/**
 * The median pace per writer (ports.ts medianWpm), grouped in one pass over their sessions'
 * index range. Sessions under a minute of writing are left out, as the model leaves their pace
 * null: ten words in five seconds is not a writer's pace.
 */
export async function medianWpmMany(db: DrizzleDatabase, userIds: readonly string[], since: number): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const s = writingSessions;
  const rows = await db
    .select({ userId: s.userId, median: sql<number | null>`percentile_cont(0.5) within group (order by ${s.composedWords} * 60000.0 / ${s.writingMs})` })
    .from(s)
    .where(and(inArray(s.userId, [...userIds]), gte(s.startedAt, new Date(since)), sql`${s.endedAt} is not null`, gte(s.writingMs, 60_000)))
    .groupBy(s.userId);
  return new Map(rows.filter((r) => r.median !== null).map((r) => [r.userId, Number(r.median)]));
}

/** summary.timeInState as the session row's plain columns (missing states count 0). */
function timeInStateColumns(summary: SessionSummary) {
  const ms = (state: WritingState) => Number(summary.timeInState?.[state] ?? 0) || 0;
  return {
    idleMs: ms('idle'),
    warmingUpMs: ms('warming_up'),
    activeMs: ms('active'),
    flowMs: ms('flow'),
    pausedMs: ms('paused'),
    breakMs: ms('break'),
    endedMs: ms('ended'),
  };
}

export function toGoal(row: typeof writingGoals.$inferSelect): WritingGoal {
  return { userId: row.userId, projectId: row.projectId, dailyWords: row.dailyWords, timeZone: row.timeZone, updatedAt: row.updatedAt.getTime() };
}
