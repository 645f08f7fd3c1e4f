import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenancePass } from '../../src/db/pglite/maintenance.js';

/** The autovacuum substitute: analyzes what was never analyzed or drifted, and only that. */
describe('PGlite maintenance pass', () => {
  let db: PGlite;
  const run = (sql: string) => db.query(sql);
  const hasStatistics = async (table: string) =>
    ((await db.query<{ n: number }>(`select count(*)::int as n from pg_statistic where starelid = '${table}'::regclass`)).rows[0]!.n) > 0;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      create table events (id integer primary key, category text not null);
      create table writing_days (id integer primary key, words integer not null);
      create table empty (id integer);
      create index events_category on events (category);`);
    await db.exec(`insert into events select i, case when i % 3 = 0 then 'writing' else 'collaboration' end from generate_series(1, 20000) i`);
    await db.exec(`insert into writing_days select i, i from generate_series(1, 20000) i`);
  });
  afterAll(async () => {
    await db.close();
  });

  it('analyzes tables with rows but no statistics (CREATE INDEX alone set reltuples), vacuums the churned ones', async () => {
    expect(await hasStatistics('events')).toBe(false);
    const steps = await maintenancePass(run);
    expect(steps.map((s) => [s.table, s.action])).toEqual([
      ['events', 'analyze'],
      ['writing_days', 'vacuum analyze'],
    ]);
    expect(await hasStatistics('events')).toBe(true);
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`explain select * from events where category = 'writing'`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/rows=6[0-9]{3}/); // ~6,667 estimated from statistics, not a guess
  });

  it('leaves tables alone until their size drifts by a tenth', async () => {
    expect(await maintenancePass(run)).toEqual([]);
    await db.exec(`update writing_days set words = words + 1 where id <= 1000`); // 5 %: not yet
    expect(await maintenancePass(run)).toEqual([]);
    await db.exec(`update writing_days set words = words + 1`); // every row again: the file grows
    expect((await maintenancePass(run)).map((s) => s.table)).toEqual(['writing_days']);
    expect(await maintenancePass(run)).toEqual([]);
  });
});
