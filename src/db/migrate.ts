import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePgliteDb } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgresDb } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Logger } from '../lib/logger.js';

/**
 * The committed drizzle-kit output at the repo root. Resolved from this file (src/db/) so it
 * does not depend on the process's working directory.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Any string works: hashtext() turns it into the advisory lock's key. */
const MIGRATION_LOCK = 'storyloom:migrations';

/** Applies pending migrations to an open PGlite database (one process owns its files). */
export async function migratePglite(db: PgliteDatabase, logger: Logger): Promise<void> {
  const started = performance.now();
  if (await pgliteUpToDate(db)) {
    logger.info({ ms: Math.round(performance.now() - started) }, 'migrations up to date (pglite)');
    return;
  }
  await migratePgliteDb(db, { migrationsFolder: MIGRATIONS_FOLDER });
  logger.info({ ms: Math.round(performance.now() - started) }, 'migrations applied (pglite)');
}

/**
 * drizzle's migrator applies the migrations whose journal timestamp is newer than the newest
 * one recorded in the database, after two CREATE … IF NOT EXISTS and an empty transaction: on
 * every start of an existing data directory that is ~5 round trips to the worker and DDL for
 * nothing. This is its own test, done with one query; anything else (no table yet) lets the
 * migrator decide.
 */
async function pgliteUpToDate(db: PgliteDatabase): Promise<boolean> {
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  const newest = Math.max(...journal.entries.map((e) => e.when));
  try {
    const { rows } = await db.execute<{ newest: string | null }>(sql`select max(created_at)::text as newest from drizzle.__drizzle_migrations`);
    return rows[0]?.newest != null && Number(rows[0].newest) >= newest;
  } catch {
    return false;
  }
}

/**
 * Applies pending migrations to Postgres, serialised across processes. drizzle's migrator reads
 * the last applied migration outside its transaction and runs `CREATE SCHEMA IF NOT EXISTS`,
 * both of which race when several instances start at once; a session advisory lock on a
 * dedicated single connection makes the second instance wait and then find nothing to do.
 * The lock dies with the connection, so a crash mid-migration cannot leave it held.
 */
export async function migratePostgres(databaseUrl: string, logger: Logger): Promise<void> {
  const started = performance.now();
  const client = postgres(databaseUrl, {
    max: 1,
    onnotice: (notice) => logger.debug({ notice: notice.message }, 'postgres notice during migration'),
  });
  try {
    await client`select pg_advisory_lock(hashtext(${MIGRATION_LOCK}))`;
    try {
      await migratePostgresDb(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(hashtext(${MIGRATION_LOCK}))`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
  logger.info({ ms: Math.round(performance.now() - started) }, 'migrations applied (postgres)');
}
