import { sql } from 'drizzle-orm';
import type { WritingBucketDelta } from '../../services/writing/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';

/**
 * The write side of writing analytics: minute buckets plus their rollups (per-document totals,
 * quarters, days; src/db/schema/writing.ts), always changed together.
 */

/** Deltas per statement: bounds one statement's work (and its JSON parameter, ~150 bytes a delta). */
export const MAX_DELTAS_PER_STATEMENT = 4_000;

/**
 * The zone a writer's days (and streaks) count in for one project: the goal's zone, else the
 * preference, else UTC. `u` and `p` name the user and project columns of the outer query.
 */
function writerZone(u: string, p: string) {
  return sql.raw(
    `coalesce((select g.time_zone from writing_goals g where g.user_id = ${u} and g.project_id = ${p}),` +
      ` (select pr.time_zone from writing_preferences pr where pr.user_id = ${u}), 'UTC')`,
  );
}

/** The quarter hour of `column` (a minute); any :00/:15/:30/:45 UTC instant works as origin. */
const quarterOf = (column: string) => sql.raw(`date_bin('15 minutes', ${column}, timestamptz '2000-01-01 00:00:00+00')`);
/** The quarter hour of `column` (a minute or slot) as a number: quarter hours since 1970-01-01 UTC. */
const quarterNumber = (column: string) => sql.raw(`(floor(extract(epoch from ${column}) / 900))::integer`);

/** "The bucket counts as an active minute": writing time or any word change. */
const ACTIVE = (added: string, removed: string, seconds: string) => `(${seconds} > 0 or ${added} <> 0 or ${removed} <> 0)`;

const sums = (alias: string) =>
  sql.raw(`sum(${alias}.words_added), sum(${alias}.words_removed), sum(${alias}.words_net), sum(${alias}.active_seconds)`);
const increments = (table: string) =>
  sql.raw(
    `words_added = ${table}.words_added + excluded.words_added, words_removed = ${table}.words_removed + excluded.words_removed, ` +
      `words_net = ${table}.words_net + excluded.words_net, active_seconds = ${table}.active_seconds + excluded.active_seconds`,
  );
const becameActive = sql.raw(
  `sum((case when ${ACTIVE('m.words_added', 'm.words_removed', 'm.active_seconds')} then 1 else 0 end) - ` +
    `(case when ${ACTIVE('m.words_added - g.words_added', 'm.words_removed - g.words_removed', 'm.active_seconds - g.active_seconds')} then 1 else 0 end))`,
);

/**
 * The CTEs that add `g` to the minute buckets, per-document totals, quarters and writer-zone
 * days, for a WITH that defines `g` before them: one row per (user_id, project_id, document_id,
 * minute) with integer words_added, words_removed, words_net, active_seconds, in that column
 * order. Used inside ONE statement, so a batch lands in all of them or in none. Each target is
 * fed grouped rows, because ON CONFLICT DO UPDATE may not touch the same row twice in one
 * statement. A document total's active minutes grow by the buckets that became active: the
 * bucket after the upsert (RETURNING) is active and the bucket before it (after minus this
 * batch's delta; all zero for a new bucket) was not. A writer's zone is looked up once per
 * (user, project) of the batch (`zones` is materialized: inlined, its lookups ran once per
 * reference, twice per row).
 */
export const ROLLUP_CTES = sql`
    minutes as (
      insert into writing_buckets as t (user_id, project_id, document_id, minute, words_added, words_removed, words_net, active_seconds)
      select * from g
      on conflict (project_id, user_id, minute, document_id) do update set ${increments('t')}
      returning t.user_id, t.project_id, t.document_id, t.minute, t.words_added, t.words_removed, t.active_seconds
    ),
    totals as (
      insert into writing_document_totals as t (project_id, document_id, user_id, words_added, words_removed, words_net, active_minutes)
      select g.project_id, g.document_id, g.user_id, sum(g.words_added), sum(g.words_removed), sum(g.words_net), ${becameActive}
      from g join minutes m on m.user_id = g.user_id and m.project_id = g.project_id and m.document_id = g.document_id and m.minute = g.minute
      group by 1, 2, 3
      on conflict (project_id, document_id, user_id) do update set
        words_added = t.words_added + excluded.words_added, words_removed = t.words_removed + excluded.words_removed,
        words_net = t.words_net + excluded.words_net, active_minutes = t.active_minutes + excluded.active_minutes
    ),
    quarters as (
      insert into writing_quarters as t (project_id, slot, user_id, words_added, words_removed, words_net, active_seconds)
      select g.project_id, ${quarterOf('g.minute')}, g.user_id, ${sums('g')} from g group by 1, 2, 3
      on conflict (project_id, slot, user_id) do update set ${increments('t')}
    ),
    zones as materialized (
      select w.user_id, w.project_id, ${writerZone('w.user_id', 'w.project_id')} as zone from (select distinct user_id, project_id from g) w
    ),
    days as (
      insert into writing_days as t (project_id, user_id, time_zone, day, words_added, words_removed, words_net, active_seconds, first_quarter, last_quarter)
      select g.project_id, g.user_id, z.zone, (g.minute at time zone z.zone)::date, ${sums('g')}, min(${quarterNumber('g.minute')}), max(${quarterNumber('g.minute')})
      from g join zones z on z.user_id = g.user_id and z.project_id = g.project_id
      group by 1, 2, 3, 4
      on conflict (project_id, user_id, time_zone, day) do update set ${increments('t')},
        first_quarter = least(t.first_quarter, excluded.first_quarter), last_quarter = greatest(t.last_quarter, excluded.last_quarter)
    )`;

/**
 * Adds the deltas to their minute buckets and rollups in one statement (ROLLUP_CTES). The batch
 * travels as one JSON parameter: as a VALUES list of 8 parameters a row, parsing, binding and
 * planning ~900 parameters took ~2 ms of the 9.3 ms a 110-row batch cost on in-process PGlite
 * (100 writers over 20 documents, 10 of them twice; now 7.2-7.5 ms, nearly all of it the upserts
 * of ~400 rollup rows; on Postgres 7.5 -> 5.7 ms).
 */
export async function addDeltas(db: DrizzleDatabase, deltas: readonly WritingBucketDelta[]): Promise<void> {
  const rows = JSON.stringify(
    deltas.map((d) => ({
      u: d.userId,
      p: d.projectId,
      d: d.documentId,
      m: new Date(Math.floor(d.minute / 60_000) * 60_000).toISOString(),
      a: Math.trunc(d.wordsAdded),
      r: Math.trunc(d.wordsRemoved),
      n: Math.trunc(d.wordsNet),
      s: Math.trunc(d.activeSeconds),
    })),
  );
  await db.execute(sql`
    with g as (
      select x.u as user_id, x.p as project_id, x.d as document_id, x.m as minute,
        sum(x.a)::integer as words_added, sum(x.r)::integer as words_removed, sum(x.n)::integer as words_net, sum(x.s)::integer as active_seconds
      from json_to_recordset(${rows}::json) as x(u text, p text, d text, m timestamptz, a integer, r integer, n integer, s integer)
      group by 1, 2, 3, 4
    ),${ROLLUP_CTES}
    select 1`);
}

/**
 * Recomputes a writer's `writing_days` from the quarters after their zone changed (a goal or a
 * preference): for one project, or for every project they wrote in. The per-day report reads
 * these rows (src/db/repositories/writing-project-report.ts), so they must hold every quarter:
 * the transaction first locks writing_days against writers (SHARE ROW EXCLUSIVE conflicts with
 * the ROW EXCLUSIVE of addDeltas), which waits for bucket batches in flight to commit and makes
 * new ones wait; the rebuild's statements then see every committed quarter, and the batches
 * that waited count in the new zone (the goal or preference committed before). Rebuilding a
 * year of one writer's days is a few thousand quarters, a few ms of waiting.
 */
export async function rebuildWriterDays(db: DrizzleDatabase, userId: string, projectId?: string): Promise<void> {
  const project = projectId === undefined ? sql`` : sql` and project_id = ${projectId}`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`lock table writing_days in share row exclusive mode`);
    await tx.execute(sql`
      delete from writing_days where user_id = ${userId} and project_id in
        (select distinct project_id from writing_quarters where user_id = ${userId}${project})`);
    await tx.execute(sql`
      insert into writing_days (project_id, user_id, time_zone, day, words_added, words_removed, words_net, active_seconds, first_quarter, last_quarter)
      select q.project_id, q.user_id, q.zone, (q.slot at time zone q.zone)::date,
        sum(q.words_added), sum(q.words_removed), sum(q.words_net), sum(q.active_seconds), min(${quarterNumber('q.slot')}), max(${quarterNumber('q.slot')})
      from (select w.*, ${writerZone('w.user_id', 'w.project_id')} as zone
            from writing_quarters w where w.user_id = ${userId}${project}) q
      group by 1, 2, 3, 4`);
  });
}
