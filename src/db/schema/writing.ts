import { boolean, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Writing analytics. `writing_buckets` is the source of truth: one row per writer, document and
 * minute. Reports never scan it: a year of minutes for a busy project is millions of rows, far
 * too many for the 50 ms report budget. Two rollups are kept in step with it by the same
 * statement that adds to the buckets (src/db/repositories/writing.ts):
 *
 * - `writing_quarters`: per writer and UTC quarter hour. Every modern IANA offset is a multiple
 *   of 15 minutes, so any time zone's days and hours are exact sums of quarters.
 * - `writing_days`: per writer and calendar day in the writer's own time zone (the zone their
 *   streak is counted in), so a 400-day streak window is ~400 rows per writer.
 */
export const writingBuckets = pgTable(
  'writing_buckets',
  {
    userId: text('user_id').notNull(),
    projectId: text('project_id').notNull(),
    documentId: text('document_id').notNull(),
    minute: timestamp('minute', { withTimezone: true, mode: 'date' }).notNull(),
    wordsAdded: integer('words_added').notNull().default(0),
    wordsRemoved: integer('words_removed').notNull().default(0),
    wordsNet: integer('words_net').notNull().default(0),
    activeSeconds: integer('active_seconds').notNull().default(0),
  },
  // The key is also the index of wordsBetween (one writer in one project over a time range).
  (t) => [primaryKey({ name: 'writing_buckets_pk', columns: [t.projectId, t.userId, t.minute, t.documentId] })],
);

export const writingQuarters = pgTable(
  'writing_quarters',
  {
    projectId: text('project_id').notNull(),
    /** Start of the quarter hour (UTC). */
    slot: timestamp('slot', { withTimezone: true, mode: 'date' }).notNull(),
    userId: text('user_id').notNull(),
    wordsAdded: integer('words_added').notNull().default(0),
    wordsRemoved: integer('words_removed').notNull().default(0),
    wordsNet: integer('words_net').notNull().default(0),
    activeSeconds: integer('active_seconds').notNull().default(0),
  },
  (t) => [
    // Project reports read a slot range of the whole project.
    primaryKey({ name: 'writing_quarters_pk', columns: [t.projectId, t.slot, t.userId] }),
    // Best hours across projects and rebuilding one writer's days after a time zone change.
    index('writing_quarters_user_slot_idx').on(t.userId, t.slot),
    // The report's split days: one writer's quarters between two instants, index-only (the
    // sums are key columns because drizzle-kit has no INCLUDE).
    index('writing_quarters_project_user_slot_totals_idx').on(t.projectId, t.userId, t.slot, t.wordsAdded, t.wordsRemoved, t.wordsNet, t.activeSeconds),
  ],
);

export const writingDays = pgTable(
  'writing_days',
  {
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    /**
     * The zone `day` is counted in. Part of the key so that rows written by a statement that
     * raced a time zone change land beside the rebuilt ones instead of corrupting them; reads
     * only take the writer's current zone.
     */
    timeZone: text('time_zone').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    wordsAdded: integer('words_added').notNull().default(0),
    wordsRemoved: integer('words_removed').notNull().default(0),
    wordsNet: integer('words_net').notNull().default(0),
    activeSeconds: integer('active_seconds').notNull().default(0),
    /**
     * The first and last quarter hour with activity that day, as quarter hours since 1970-01-01
     * UTC (writing_quarters.slot / 15 min). A report in another zone takes the whole row when
     * both fall on the same day there (the common case: all of a day's writing on one side of
     * the other zone's midnight) and reads the quarters only for the other rows. Null only for
     * a row never filled in (read as "split").
     */
    firstQuarter: integer('first_quarter'),
    lastQuarter: integer('last_quarter'),
  },
  (t) => [primaryKey({ name: 'writing_days_pk', columns: [t.projectId, t.userId, t.timeZone, t.day] })],
);

/**
 * Per writer and document, all time: what the collaborators endpoint shows, kept in step with
 * the minute buckets by the same statement. `active_minutes` counts the buckets with writing
 * time or any word change. Reading it is one index range (a dozen rows) instead of every minute
 * bucket of the project (the bucket key starts with project and writer, not document).
 */
export const writingDocumentTotals = pgTable(
  'writing_document_totals',
  {
    projectId: text('project_id').notNull(),
    documentId: text('document_id').notNull(),
    userId: text('user_id').notNull(),
    wordsAdded: integer('words_added').notNull().default(0),
    wordsRemoved: integer('words_removed').notNull().default(0),
    wordsNet: integer('words_net').notNull().default(0),
    activeMinutes: integer('active_minutes').notNull().default(0),
  },
  (t) => [primaryKey({ name: 'writing_document_totals_pk', columns: [t.projectId, t.documentId, t.userId] })],
);

/** Closed (and periodically saved open) sessions; `summary` is the model's SessionSummary. */
export const writingSessions = pgTable(
  'writing_sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    projectId: text('project_id').notNull(),
    state: text('state').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    endReason: text('end_reason'),
    /** Copies of summary.writingMs and summary.totals.composedWords, for SQL aggregates. */
    writingMs: integer('writing_ms').notNull(),
    composedWords: integer('composed_words').notNull(),
    /** summary.timeInState copied out (ms per state): the report sums them without parsing JSON. */
    idleMs: doublePrecision('idle_ms').notNull().default(0),
    warmingUpMs: doublePrecision('warming_up_ms').notNull().default(0),
    activeMs: doublePrecision('active_ms').notNull().default(0),
    flowMs: doublePrecision('flow_ms').notNull().default(0),
    pausedMs: doublePrecision('paused_ms').notNull().default(0),
    breakMs: doublePrecision('break_ms').notNull().default(0),
    endedMs: doublePrecision('ended_ms').notNull().default(0),
    summary: jsonb('summary').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    // Covers the report's per-writer session sums (an index-only scan instead of reading every
    // row with its JSON summary); also listSessions' project + start range.
    index('writing_sessions_project_started_totals_idx').on(
      t.projectId,
      t.startedAt,
      t.userId,
      t.writingMs,
      t.composedWords,
      t.idleMs,
      t.warmingUpMs,
      t.activeMs,
      t.flowMs,
      t.pausedMs,
      t.breakMs,
      t.endedMs,
    ),
    index('writing_sessions_user_started_idx').on(t.userId, t.startedAt),
  ],
);

export const writingGoals = pgTable(
  'writing_goals',
  {
    userId: text('user_id').notNull(),
    projectId: text('project_id').notNull(),
    dailyWords: integer('daily_words').notNull(),
    timeZone: text('time_zone').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'writing_goals_pk', columns: [t.userId, t.projectId] }),
    index('writing_goals_project_idx').on(t.projectId),
  ],
);

export const writingPreferences = pgTable('writing_preferences', {
  userId: text('user_id').primaryKey(),
  analyticsOptOut: boolean('analytics_opt_out').notNull().default(false),
  timeZone: text('time_zone').notNull().default('UTC'),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
