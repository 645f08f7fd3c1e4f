import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Logger } from '../lib/logger.js';
import type { Database } from './document-store.js';
import { migratePglite, migratePostgres } from './migrate.js';
import { maintenancePass } from './pglite/maintenance.js';
import { openPgliteWorker } from './pglite/proxy.js';
import type { DrizzleDatabase } from './drizzle-database.js';
import { createDocumentRepository } from './repositories/documents.js';
import { createDocumentClientRepository } from './repositories/document-clients.js';
import { createEventArchiveRepository } from './repositories/events.js';
import { createWritingRepository } from './repositories/writing.js';
import { createVersionRepository } from './repositories/versions.js';

export interface DatabaseOptions {
  /** Postgres connection string; when absent, embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pglite`); unused with Postgres. */
  dataDir: string;
  logger: Logger;
}

/**
 * Opens the configured backend, applies pending migrations and returns it ready to use.
 * Rejects (after releasing what it opened) if the database cannot be reached or migrated.
 * `close()` is idempotent; after it resolves, PGlite's files are consistent on disk and the
 * Postgres pool has ended.
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const logger = options.logger.child({ module: 'db' });
  return options.databaseUrl ? openPostgres(options.databaseUrl, logger) : openPglite(options.dataDir, logger);
}

/**
 * PGlite runs in a worker thread (src/db/pglite/): its WebAssembly work would otherwise hold up
 * every WebSocket message queued behind a statement. drizzle talks to it through a proxy with
 * the same `query`/`transaction` shape as a PGlite client.
 */
async function openPglite(dataDir: string, logger: Logger): Promise<Database> {
  const dir = resolve(join(dataDir, 'pglite'));
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const client = await openPgliteWorker({ dir, logger });
  const db = drizzlePglite(client as unknown as PGlite);
  try {
    await migratePglite(db, logger);
    // PGlite has no autovacuum: without this ANALYZE the planner never has statistics (see
    // src/db/pglite/maintenance.ts; the worker repeats the pass every 10 minutes).
    const maintained = performance.now();
    const steps = await maintenancePass((statement) => client.query(statement));
    if (steps.length > 0) logger.info({ steps, ms: Math.round(performance.now() - maintained) }, 'pglite tables analyzed');
  } catch (error) {
    await client.close();
    throw error;
  }
  logger.info({ backend: 'pglite', dir, ms: Math.round(performance.now() - started), openMs: Math.round(client.openMs) }, 'database opened');
  return assemble('pglite', db, () => client.close(), logger);
}

async function openPostgres(databaseUrl: string, logger: Logger): Promise<Database> {
  const where = describeUrl(databaseUrl);
  await migratePostgres(databaseUrl, logger);
  const client = postgres(databaseUrl, {
    onnotice: (notice) => logger.debug({ notice: notice.message }, 'postgres notice'),
  });
  const db = drizzlePostgres(client);
  logger.info({ backend: 'postgres', where }, 'database opened');
  return assemble('postgres', db, () => client.end({ timeout: 5 }), logger);
}

function assemble(
  kind: Database['kind'],
  db: DrizzleDatabase,
  end: () => Promise<void>,
  logger: Logger,
): Database {
  let closing: Promise<void> | undefined;
  return {
    kind,
    documents: createDocumentRepository(db),
    events: createEventArchiveRepository(db),
    writing: createWritingRepository(db),
    documentClients: createDocumentClientRepository(db),
    versions: createVersionRepository(db),
    async ping() {
      await db.execute(sql`select 1`);
    },
    close() {
      closing ??= end().then(() => logger.info({ backend: kind }, 'database closed'));
      return closing;
    },
  };
}

/** Host, port and database name only: the URL may carry a password. */
function describeUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
