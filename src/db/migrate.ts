import { fileURLToPath } from 'node:url';
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
  await migratePgliteDb(db, { migrationsFolder: MIGRATIONS_FOLDER });
  logger.info({ ms: Math.round(performance.now() - started) }, 'migrations applied (pglite)');
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
