import { sql } from 'drizzle-orm';
import type { WritingBucketDelta } from '../../services/writing/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';

/**
 * The write side of writing analytics: minute buckets plus their two rollups
 * (src/db/schema/writing.ts), always changed together.
 */

/** Deltas per statement: 8 bind parameters each, well below Postgres's 65,535. */
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

/** Quarter hours since this origin; any :00/:15/:30/:45 UTC instant works. */
const QUARTER = sql.raw(`date_bin('15 minutes', i.minute, timestamptz '2000-01-01 00:00:00+00')`);

/**
 * Adds the deltas to their minute buckets, quarters and writer-zone days: ONE statement, so a
 * batch lands in all three or in none. Each target is fed grouped rows, because ON CONFLICT DO
 * UPDATE may not touch the same row twice in one statement (a batch may hold several deltas
 * for one minute).
 */
export async function addDeltas(db: DrizzleDatabase, deltas: readonly WritingBucketDelta[]): Promise<void> {
  const rows = sql.join(
    deltas.map(
      (d) =>
        sql`(${d.userId}::text, ${d.projectId}::text, ${d.documentId}::text, ${new Date(Math.floor(d.minute / 60_000) * 60_000).toISOString()}::timestamptz, ${Math.trunc(d.wordsAdded)}::integer, ${Math.trunc(d.wordsRemoved)}::integer, ${Math.trunc(d.wordsNet)}::integer, ${Math.trunc(d.activeSeconds)}::integer)`,
    ),
    sql`, `,
  );
  const sums = (alias: string) =>
    sql.raw(`sum(${alias}.words_added), sum(${alias}.words_removed), sum(${alias}.words_net), sum(${alias}.active_seconds)`);
  const increments = (table: string) =>
    sql.raw(
      `words_added = ${table}.words_added + excluded.words_added, words_removed = ${table}.words_removed + excluded.words_removed, ` +
        `words_net = ${table}.words_net + excluded.words_net, active_seconds = ${table}.active_seconds + excluded.active_seconds`,
    );
  await db.execute(sql`
    with i (user_id, project_id, document_id, minute, words_added, words_removed, words_net, active_seconds) as (values ${rows}),
    minutes as (
      insert into writing_buckets as t (user_id, project_id, document_id, minute, words_added, words_removed, words_net, active_seconds)
      select i.user_id, i.project_id, i.document_id, i.minute, ${sums('i')} from i group by 1, 2, 3, 4
      on conflict (project_id, user_id, minute, document_id) do update set ${increments('t')}
    ),
    quarters as (
      insert into writing_quarters as t (project_id, slot, user_id, words_added, words_removed, words_net, active_seconds)
      select i.project_id, ${QUARTER}, i.user_id, ${sums('i')} from i group by 1, 2, 3
      on conflict (project_id, slot, user_id) do update set ${increments('t')}
    )
    insert into writing_days as t (project_id, user_id, time_zone, day, words_added, words_removed, words_net, active_seconds)
    select z.project_id, z.user_id, z.zone, (z.minute at time zone z.zone)::date, ${sums('z')}
    from (select i.*, ${writerZone('i.user_id', 'i.project_id')} as zone from i) z
    group by 1, 2, 3, 4
    on conflict (project_id, user_id, time_zone, day) do update set ${increments('t')}
  `);
}

/**
 * Recomputes a writer's `writing_days` from the quarters after their zone changed (a goal or a
 * preference): for one project, or for every project they wrote in. Two statements in one
 * transaction; a bucket batch committing concurrently may be missing from the rebuilt days
 * (never from buckets or quarters, which the per-day report reads).
 */
export async function rebuildWriterDays(db: DrizzleDatabase, userId: string, projectId?: string): Promise<void> {
  const project = projectId === undefined ? sql`` : sql` and project_id = ${projectId}`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      delete from writing_days where user_id = ${userId} and project_id in
        (select distinct project_id from writing_quarters where user_id = ${userId}${project})`);
    await tx.execute(sql`
      insert into writing_days (project_id, user_id, time_zone, day, words_added, words_removed, words_net, active_seconds)
      select q.project_id, q.user_id, q.zone, (q.slot at time zone q.zone)::date,
        sum(q.words_added), sum(q.words_removed), sum(q.words_net), sum(q.active_seconds)
      from (select w.*, ${writerZone('w.user_id', 'w.project_id')} as zone
            from writing_quarters w where w.user_id = ${userId}${project}) q
      group by 1, 2, 3, 4`);
  });
}
