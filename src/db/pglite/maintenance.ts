/**
 * An autovacuum substitute for PGlite. PGlite is Postgres in single-user mode: no autovacuum
 * launcher, and its cumulative statistics (pg_stat_user_tables) neither count changes nor
 * survive a restart, so nothing ever runs ANALYZE or VACUUM. Without ANALYZE every table keeps
 * reltuples = -1 and the planner guesses: on a year of events the first page of a category was
 * a Bitmap Heap Scan of all 64k rows plus a top-N sort (660 ms) instead of an Index Scan
 * Backward + Limit (0.2 ms). Without VACUUM the rollups that are upserted all day (minute
 * buckets, quarters, days, per-document totals), the documents, compacted document_updates and
 * re-saved sessions only grow dead tuples.
 *
 * So: one pass right after the migrations (src/db/client.ts), then one every
 * MAINTENANCE_INTERVAL_MS from the worker thread (worker.ts). A pass reads pg_class (one small
 * catalog query) and touches only tables whose size on disk moved by a tenth (and at least
 * MIN_DRIFT_PAGES) since their statistics were taken, or that have pages but no column
 * statistics yet. Every step is its own statement: PGlite runs one statement at a time, so writes
 * queue behind a step, and the steps are kept short. Measured on the `queries` bench year
 * (270k buckets, 100k events), warm: ANALYZE at default_statistics_target 100 took 200 ms
 * (buckets) and 450 ms (events); at 30 (9,000 sampled rows, up to 30 most common values), 130
 * and 160 ms; VACUUM of an already vacuumed table ~1 ms, the first VACUUM of the year of
 * buckets 95-125 ms. The append-only events table is analyzed, never vacuumed.
 */

/** How often the worker checks for drifted tables. */
export const MAINTENANCE_INTERVAL_MS = 10 * 60_000;
/** Sample size of ANALYZE (300 rows per unit): enough for row counts and the few common values our filters use. */
export const STATISTICS_TARGET = 30;
const DRIFT = 0.1;
const MIN_DRIFT_PAGES = 16;

/** Tables upserted or deleted from all day: VACUUM (then ANALYZE) them. */
const CHURNED = new Set([
  'writing_buckets',
  'writing_quarters',
  'writing_days',
  'writing_document_totals',
  'writing_sessions',
  'documents',
  'document_updates',
]);

/** Runs one SQL statement (no parameters) and returns its rows. */
export type RunStatement = (sql: string) => Promise<{ rows: unknown[] }>;

export interface MaintenanceStep {
  table: string;
  action: 'analyze' | 'vacuum analyze';
  ms: number;
}

interface TableState {
  name: string;
  relpages: number;
  /** No column statistics: never analyzed (CREATE INDEX sets reltuples, so that is no sign). */
  neverAnalyzed: boolean;
  pages: number;
}

/** One pass; returns what it did and how long each step took. Errors propagate (the caller logs). */
export async function maintenancePass(run: RunStatement): Promise<MaintenanceStep[]> {
  const { rows } = await run(
    `select c.relname as name, c.relpages::int as relpages,
            not exists (select 1 from pg_statistic s where s.starelid = c.oid) as "neverAnalyzed",
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r' order by c.relname`,
  );
  const steps: MaintenanceStep[] = [];
  for (const t of rows as TableState[]) {
    const drift = Math.abs(t.pages - t.relpages);
    if (!(t.neverAnalyzed ? t.pages > 0 : drift >= Math.max(MIN_DRIFT_PAGES, t.relpages * DRIFT))) continue;
    const action = CHURNED.has(t.name) ? 'vacuum analyze' : 'analyze';
    const started = performance.now();
    await run(`set default_statistics_target = ${STATISTICS_TARGET}`);
    try {
      await run(`${action === 'analyze' ? 'analyze' : 'vacuum (analyze)'} "${t.name.replaceAll('"', '""')}"`);
    } finally {
      await run('reset default_statistics_target');
    }
    steps.push({ table: t.name, action, ms: Math.round(performance.now() - started) });
  }
  return steps;
}
