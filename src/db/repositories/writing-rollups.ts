import { sql } from 'drizzle-orm';
import type { WritingBucketDelta } from '../../services/writing/ports.js';
import type { DrizzleDatabase } from '../drizzle-database.js';

/**
 * The write side of writing analytics: minute buckets plus their rollups (per-document totals,
 * quarters, days; src/db/schema/writing.ts), always changed together.
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

/** The quarter hour of `column` (a minute); any :00/:15/:30/:45 UTC instant works as origin. */
const quarterOf = (column: string) => sql.raw(`date_bin('15 minutes', ${column}, timestamptz '2000-01-01 00:00:00+00')`);
/** The quarter hour of `column` (a minute or slot) as a number: quarter hours since 1970-01-01 UTC. */
const quarterNumber = (column: string) => sql.raw(`(floor(extract(epoch from ${column}) / 900))::integer`);

/** "The bucket counts as an active minute": writing time or any word change. */
const ACTIVE = (added: string, removed: string, seconds: string) => `(${seconds} > 0 or ${added} <> 0 or ${removed} <> 0)`;

/**
 * Adds the deltas to their minute buckets, per-document totals, quarters and writer-zone days:
 * ONE statement, so a batch lands in all of them or in none. Each target is fed grouped rows,
 * because ON CONFLICT DO UPDATE may not touch the same row twice in one statement (a batch may
 * hold several deltas for one minute). A document total's active minutes grow by the buckets
 * that became active: the bucket after the upsert (RETURNING) is active and the bucket before
 * it (after minus this batch's delta; all zero for a new bucket) was not.
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
  const becameActive = sql.raw(
    `sum((case when ${ACTIVE('m.words_added', 'm.words_removed', 'm.active_seconds')} then 1 else 0 end) - ` +
      `(case when ${ACTIVE('m.words_added - g.words_added', 'm.words_removed - g.words_removed', 'm.active_seconds - g.active_seconds')} then 1 else 0 end))`,
  );
  await db.execute(sql`
    with i (user_id, project_id, document_id, minute, words_added, words_removed, words_net, active_seconds) as (values ${rows}),
    g as (
      select i.user_id, i.project_id, i.document_id, i.minute,
        sum(i.words_added)::integer as words_added, sum(i.words_removed)::integer as words_removed,
        sum(i.words_net)::integer as words_net, sum(i.active_seconds)::integer as active_seconds
      from i group by 1, 2, 3, 4
    ),
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
      select i.project_id, ${quarterOf('i.minute')}, i.user_id, ${sums('i')} from i group by 1, 2, 3
      on conflict (project_id, slot, user_id) do update set ${increments('t')}
    )
    insert into writing_days as t (project_id, user_id, time_zone, day, words_added, words_removed, words_net, active_seconds, first_quarter, last_quarter)
    select z.project_id, z.user_id, z.zone, (z.minute at time zone z.zone)::date, ${sums('z')}, min(${quarterNumber('z.minute')}), max(${quarterNumber('z.minute')})
    from (select i.*, ${writerZone('i.user_id', 'i.project_id')} as zone from i) z
    group by 1, 2, 3, 4
    on conflict (project_id, user_id, time_zone, day) do update set ${increments('t')},
      first_quarter = least(t.first_quarter, excluded.first_quarter), last_quarter = greatest(t.last_quarter, excluded.last_quarter)
  `);
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
