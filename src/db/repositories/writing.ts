import { DrizzleQueryError, and, asc, desc, eq, gte, isNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import { AppError, errorMessage } from '../../lib/errors.js';
import type { SessionSummary } from '../../tracking/writing/session-types.js';
import type { StoredSession, WritingStore } from '../../services/writing/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';
import { writingBuckets, writingDocumentTotals, writingGoals, writingPreferences, writingQuarters, writingSessions } from '../schema/index.js';
import { writingWordJournal } from '../schema/word-journal.js';
import { requireTimeZone } from '../../lib/time-zones.js';
import { MAX_DELTAS_PER_STATEMENT, addDeltas, rebuildWriterDays } from './writing-rollups.js';
import { projectWritingReport } from './writing-project-report.js';
import { foldAll } from './word-journal.js';
import { getPreferencesMany, goalsFor, medianWpmMany, saveSessions, toGoal } from './writing-batch.js';

/**
 * The WritingStore contract (src/services/writing/ports.ts) over drizzle, for PGlite and
 * Postgres alike. Reports read the rollups (src/db/schema/writing.ts), never the minute buckets
 * of a whole year. Time zones are validated (AppError 'validation-failed') before they are
 * stored: a zone Postgres cannot resolve would make every later bucket batch of that writer fail.
 * `now` only decides whether a report's last day is still in progress (streak grace).
 */
export function createWritingRepository(db: DrizzleDatabase, now: () => number = Date.now): WritingStore {
  const store: WritingStore = {
    foldWordJournal: () => foldAll(db),

    async addBuckets(deltas) {
      if (deltas.length === 0) return;
      if (deltas.length <= MAX_DELTAS_PER_STATEMENT) return addDeltas(db, deltas);
      await db.transaction(async (tx) => {
        for (let start = 0; start < deltas.length; start += MAX_DELTAS_PER_STATEMENT) {
          await addDeltas(tx, deltas.slice(start, start + MAX_DELTAS_PER_STATEMENT));
        }
      });
    },

    // The single forms are the batch forms (writing-batch.ts) with one item: one statement each.
    saveSession: (session) => saveSessions(db, [session]),
    saveSessions: (sessions) => saveSessions(db, sessions),

    async getSession(id) {
      const [row] = await db.select().from(writingSessions).where(eq(writingSessions.id, id));
      return row ? toSession(row) : null;
    },

    async listSessions(query) {
      const conditions: SQL[] = [
        eq(writingSessions.projectId, query.projectId),
        gte(writingSessions.startedAt, new Date(query.from)),
        lt(writingSessions.startedAt, new Date(query.to)),
      ];
      if (query.userId !== undefined) conditions.push(eq(writingSessions.userId, query.userId));
      const rows = await db
        .select()
        .from(writingSessions)
        .where(and(...conditions))
        .orderBy(desc(writingSessions.startedAt), desc(writingSessions.id))
        .limit(query.limit);
      return rows.map(toSession);
    },

    async setGoal(goal) {
      const timeZone = requireTimeZone(goal.timeZone);
      if (!Number.isInteger(goal.dailyWords) || goal.dailyWords < 1) {
        throw new AppError('validation-failed', 'dailyWords must be a positive integer', { field: 'dailyWords' });
      }
      const before = await store.getGoal(goal.userId, goal.projectId);
      const [row] = await db
        .insert(writingGoals)
        .values({ ...goal, timeZone })
        .onConflictDoUpdate({
          target: [writingGoals.userId, writingGoals.projectId],
          set: { dailyWords: goal.dailyWords, timeZone, updatedAt: sql`now()` },
        })
        .returning();
      // Only the zone decides which day a minute belongs to; the goal itself applies at read time.
      if (before?.timeZone !== timeZone) await rebuildWriterDays(db, goal.userId, goal.projectId);
      return toGoal(row!);
    },

    getGoal: async (userId, projectId) => (await goalsFor(db, [{ userId, projectId }]))[0] ?? null,

    goalsFor: (pairs) => goalsFor(db, pairs),

    async listGoals(projectId) {
      const rows = await db.select().from(writingGoals).where(eq(writingGoals.projectId, projectId)).orderBy(asc(writingGoals.userId));
      return rows.map(toGoal);
    },

    getPreferences: async (userId) => (await getPreferencesMany(db, [userId])).get(userId) ?? null,

    getPreferencesMany: (userIds) => getPreferencesMany(db, userIds),

    async setPreferences(prefs) {
      const timeZone = requireTimeZone(prefs.timeZone);
      const before = await store.getPreferences(prefs.userId);
      await db
        .insert(writingPreferences)
        .values({ userId: prefs.userId, analyticsOptOut: prefs.analyticsOptOut, timeZone })
        .onConflictDoUpdate({
          target: writingPreferences.userId,
          set: { analyticsOptOut: prefs.analyticsOptOut, timeZone, updatedAt: sql`now()` },
        });
      // Projects with a goal keep the goal's zone; the rebuild resolves that per project.
      if ((before?.timeZone ?? 'UTC') !== timeZone) await rebuildWriterDays(db, prefs.userId);
      return { userId: prefs.userId, analyticsOptOut: prefs.analyticsOptOut, timeZone };
    },

    projectWriting: (query) => projectWritingReport(db, { ...query, timeZone: requireTimeZone(query.timeZone), now: now() }),

    async bestHours(query) {
      const timeZone = requireTimeZone(query.timeZone);
      const hour = sql<number>`extract(hour from ${writingQuarters.slot} at time zone ${timeZone})::integer`;
      const conditions: SQL[] = [eq(writingQuarters.userId, query.userId), gte(writingQuarters.slot, quarterFloor(query.since))];
      if (query.projectId !== undefined) conditions.push(eq(writingQuarters.projectId, query.projectId));
      const rows = await db
        .select({ hour: hour.mapWith(Number), words: sql<number>`sum(${writingQuarters.wordsNet})::integer`.mapWith(Number) })
        .from(writingQuarters)
        .where(and(...conditions))
        .groupBy(sql`1`);
      const byHour = new Map(rows.map((r) => [r.hour, r.words]));
      return Array.from({ length: 24 }, (_, h) => ({ hour: h, words: byHour.get(h) ?? 0 }));
    },

    medianWpm: async (userId, since) => (await medianWpmMany(db, [userId], since)).get(userId) ?? null,
    medianWpmMany: (userIds, since) => medianWpmMany(db, userIds, since),

    async openSessions(limit) {
      const rows = await db
        .select()
        .from(writingSessions)
        .where(and(isNull(writingSessions.endedAt), ne(writingSessions.state, 'ended')))
        .orderBy(asc(writingSessions.updatedAt))
        .limit(limit);
      return rows.map(toSession);
    },

    async lastWordsAt(userId, projectId, since) {
      const j = writingWordJournal;
      const [journal] = await db
        .select({ at: sql<Date | null>`max(${j.at})` })
        .from(j)
        .where(and(eq(j.userId, userId), eq(j.projectId, projectId), gte(j.at, new Date(since))));
      const b = writingBuckets;
      const [bucket] = await db
        .select({ minute: sql<Date | null>`max(${b.minute})` })
        .from(b)
        .where(and(eq(b.userId, userId), eq(b.projectId, projectId), gte(b.minute, new Date(Math.floor(since / 60_000) * 60_000)), sql`(${b.wordsAdded} <> 0 or ${b.wordsRemoved} <> 0)`));
      // A journal row is exact; a bucket (its rows folded away) only says which minute, never before `since`.
      const journalAt = journal?.at ? new Date(journal.at).getTime() : null;
      const bucketAt = bucket?.minute ? Math.max(since, new Date(bucket.minute).getTime()) : null;
      if (journalAt === null || bucketAt === null) return journalAt ?? bucketAt;
      return Math.max(journalAt, bucketAt);
    },

    async wordsBetween(userId, projectId, from, to) {
      const [row] = await db
        .select({ words: sql<number>`coalesce(sum(${writingBuckets.wordsNet}), 0)::integer`.mapWith(Number) })
        .from(writingBuckets)
        .where(
          and(
            eq(writingBuckets.projectId, projectId),
            eq(writingBuckets.userId, userId),
            gte(writingBuckets.minute, new Date(from)),
            lt(writingBuckets.minute, new Date(to)),
          ),
        );
      return row?.words ?? 0;
    },

    async documentContributions(projectId, documentId) {
      // The per-document totals addBuckets keeps beside the minute buckets: one row per writer.
      // A minute counts as active when it has writing time or any word change (a deletion-only
      // minute with 0 s tracked still counts).
      const t = writingDocumentTotals;
      return db
        .select({ userId: t.userId, wordsAdded: t.wordsAdded, wordsRemoved: t.wordsRemoved, wordsNet: t.wordsNet, activeMinutes: t.activeMinutes })
        .from(t)
        .where(and(eq(t.projectId, projectId), eq(t.documentId, documentId)))
        .orderBy(asc(t.userId));
    },
  };

  // Every method, with drizzle's query text (user ids, summaries) stripped from its errors.
  return Object.fromEntries(
    Object.entries(store).map(([name, method]) => [
      name,
      (...args: unknown[]) => withoutQueryText(name, () => (method as (...a: unknown[]) => Promise<unknown>)(...args)),
    ]),
  ) as unknown as WritingStore;
}

/** Quarters are whole: one starting before `since` is left out rather than counted in part. */
function quarterFloor(since: number): Date {
  return new Date(Math.ceil(since / 900_000) * 900_000);
}

function toSession(row: typeof writingSessions.$inferSelect): StoredSession {
  return {
    id: row.id,
    userId: row.userId,
    projectId: row.projectId,
    state: row.state as StoredSession['state'],
    startedAt: row.startedAt.getTime(),
    endedAt: row.endedAt?.getTime() ?? null,
    endReason: row.endReason as StoredSession['endReason'],
    summary: row.summary as SessionSummary,
    updatedAt: row.updatedAt.getTime(),
  };
}

/**
 * drizzle's error message embeds every bound parameter (user ids, session summaries); keep the
 * driver's own message and error (`cause`, with its SQLSTATE) instead. A zone Postgres does not
 * know (22023) is the caller's input, hence a validation error.
 */
async function withoutQueryText<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DrizzleQueryError)) throw error;
    const cause = error.cause as { code?: string } | undefined;
    const message = errorMessage(cause ?? 'unknown database error');
    if (cause?.code === '22023' && /time zone/i.test(message)) {
      throw new AppError('validation-failed', message, { field: 'timeZone' }, { cause });
    }
    throw new Error(`${operation} failed: ${message}`, { cause });
  }
}
