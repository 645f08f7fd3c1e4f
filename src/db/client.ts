import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { backoffDelay } from '../lib/backoff.js';
import type { PGlite } from '@electric-sql/pglite';
import { asc, eq, lte, sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Database, DocumentStore } from './document-store.js';
import { migratePglite, migratePostgres } from './migrate.js';
import { maintenancePass } from './pglite/maintenance.js';
import { openPgliteWorker, type PgliteWorkerClient } from './pglite/proxy.js';
import { INITIALIZING_MARKER } from './pglite/protocol.js';
import { chooseTemplate } from './pglite/template.js';
import type { DrizzleDatabase } from './drizzle-database.js';
import { createWordRangeRepository } from './repositories/word-ranges.js';
import { createDocumentRepository } from './repositories/documents.js';
import { createDocumentClientRepository } from './repositories/document-clients.js';
import { createEventArchiveRepository } from './repositories/events.js';
import { createNotificationRepository } from './repositories/notifications.js';
import { createWritingRepository } from './repositories/writing.js';
import { createVersionRepository } from './repositories/versions.js';
import { createWorkflowRepository } from './repositories/workflows.js';
import { createProjectDocumentsQuery } from './repositories/project-documents.js';
import { documents, documentUpdates } from './schema/index.js';
import { createFileLoggedStore, type FileLoggedStore } from './update-log/file-document-store.js';
import { openFileUpdateLog } from './update-log/file-log.js';

export interface DatabaseOptions {
  /** Postgres connection string; when absent, embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`<dataDir>/pglite`, the update log in `<dataDir>/update-log`); unused with Postgres. */
  dataDir: string;
  logger: Logger;
  /**
   * Embedded mode only: where the update log lives. `file` (the default): append-only segment
   * files with fdatasync before the ack (src/db/update-log/). `pglite`: the `document_updates`
   * table, as before; kept for the contract suite and comparisons. Switching from `file` to
   * `pglite` on a directory whose segments hold live updates would hide them: not supported.
   */
  embeddedUpdateLog?: 'file' | 'pglite';
  /**
   * Embedded mode only: the folder holding the pre-initialized data directory a fresh one starts
   * from (src/db/pglite/template.ts; default node_modules/.cache/storyloom/), or `false` for
   * initdb and every migration, as without a template.
   */
  pgliteTemplateDir?: string | false;
}

/**
 * Opens the configured backend, applies pending migrations and returns it ready to use.
 * Rejects (after releasing what it opened) if the database cannot be reached or migrated.
 * `close()` is idempotent; after it resolves, PGlite's files are consistent on disk and the
 * Postgres pool has ended.
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const logger = options.logger.child({ module: 'db' });
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, logger)
    : openPglite(options.dataDir, options.embeddedUpdateLog ?? 'file', options.pgliteTemplateDir, logger);
}

/**
 * PGlite runs in a worker thread (src/db/pglite/): its WebAssembly work would otherwise hold up
 * every WebSocket message queued behind a statement. drizzle talks to it through a proxy with
 * the same `query`/`transaction` shape as a PGlite client.
 */
async function openPglite(dataDir: string, updateLog: 'file' | 'pglite', templateDir: string | false | undefined, logger: Logger): Promise<Database> {
  const dir = resolve(join(dataDir, 'pglite'));
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  const openedAt = Date.now();
  const template = await templateFor(dir, templateDir, logger);
  const client = await openPgliteWorker({ dir, template, logger });
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
  logger.info(
    { backend: 'pglite', dir, initialized: client.initialized, ms: Math.round(performance.now() - started), openMs: Math.round(client.openMs) },
    'database opened',
  );
  if (updateLog === 'pglite') return assemble('pglite', db, () => client.close(), logger);
  let store: FileLoggedStore;
  try {
    // Unpacked files keep the template's mtimes: the first checkpoint fsyncs the whole tree.
    const syncedUpTo = client.initialized === 'template' ? 0 : openedAt;
    store = await openFileLog(join(dataDir, 'update-log'), syncedUpTo, db, client, logger);
  } catch (error) {
    await client.close();
    throw error;
  }
  const end = async (): Promise<void> => {
    try {
      await store.close();
    } finally {
      await client.close();
    }
  };
  const database = assemble('pglite', db, end, logger, store);
  // The fold credits journal rows: the words logged since the last window join them first, so a
  // flush sees every acknowledged word without an insert on each append.
  const fold = database.writing.foldWordJournal;
  if (fold !== undefined) database.writing.foldWordJournal = async () => (await store.journalNow(), fold());
  return database;
}

/** The template archive for a data directory that holds no database yet, if a usable one exists. */
async function templateFor(dir: string, templateDir: string | false | undefined, logger: Logger): Promise<string | undefined> {
  const made = existsSync(join(dir, 'PG_VERSION')) && !existsSync(join(dir, INITIALIZING_MARKER));
  if (templateDir === false || made) return undefined;
  const choice = await chooseTemplate(templateDir);
  if (choice.archive === null) logger.info({ reason: choice.reason }, 'new PGlite data directory: running initdb and every migration');
  else logger.info({ template: choice.archive, migrations: choice.migrations }, 'new PGlite data directory: starting from the template');
  return choice.archive ?? undefined;
}

/** Reconnect delays to Postgres: full jitter up to 100 ms x 2^n, never over 2 s. */
const RECONNECT_BACKOFF = { baseMs: 100, maxMs: 2_000 };

/** A segment is sealed at this size; sealed segments go once compaction has folded them. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
/** How often folds are made durable (after a PGlite CHECKPOINT) and dead segments deleted. */
const RECLAIM_INTERVAL_MS = 10_000;
/** mtime granularity and clock steps: files changed this long before the last sync are synced again. */
const MTIME_SLACK_MS = 2_000;

/**
 * Opens the file update log and takes over the rows an older data directory kept in
 * `document_updates`: they are written into the segment files under their own seqs (fdatasync),
 * then deleted from PGlite. A crash in between only means they are taken over again next time
 * (same seqs, skipped).
 */
async function openFileLog(
  dir: string,
  syncedBefore: number,
  db: DrizzleDatabase,
  client: PgliteWorkerClient,
  logger: Logger,
): Promise<FileLoggedStore> {
  /**
   * Files changed before this (less the slack) need no fsync: an earlier checkpoint synced them,
   * or they predate this process (a fold made now relies only on snapshot pages written now).
   */
  let syncedUpTo = syncedBefore;
  const legacy = await db
    .select({ seq: documentUpdates.seq, documentName: documentUpdates.documentName, update: documentUpdates.update, userId: documentUpdates.userId, receivedAt: documentUpdates.receivedAt })
    .from(documentUpdates)
    .orderBy(asc(documentUpdates.seq));
  const log = await openFileUpdateLog({
    dir: resolve(dir),
    maxSegmentBytes: SEGMENT_BYTES,
    logger,
    legacy: legacy.map((r) => ({ ...r, receivedAt: r.receivedAt.getTime() })),
  });
  if (legacy.length > 0) {
    await db.delete(documentUpdates).where(lte(documentUpdates.seq, legacy[legacy.length - 1]!.seq));
    logger.info({ rows: legacy.length }, 'update log rows moved from PGlite to the file log');
  }
  return createFileLoggedStore({
    snapshots: createDocumentRepository(db),
    log,
    async loadSnapshot(documentName) {
      const [row] = await db.select({ snapshot: documents.snapshot }).from(documents).where(eq(documents.name, documentName));
      return row?.snapshot ?? null;
    },
    // CHECKPOINT writes PGlite's dirty pages (a full disk fails here); PGlite runs with fsync
    // off, so the files it changed are fsynced too before any fold may become durable. Both in
    // the worker thread (src/db/pglite/worker.ts), off the event loop that delivers the edits.
    checkpoint: async () => {
      const started = Date.now();
      await client.checkpoint(syncedUpTo - MTIME_SLACK_MS);
      syncedUpTo = started;
    },
    reclaimIntervalMs: RECLAIM_INTERVAL_MS,
    onReclaimError: (error) => logger.warn({ err: errorMessage(error) }, 'update log reclaim failed; retried at the next interval'),
  });
}

async function openPostgres(databaseUrl: string, logger: Logger): Promise<Database> {
  const where = describeUrl(databaseUrl);
  await migratePostgres(databaseUrl, logger);
  const client = postgres(databaseUrl, {
    onnotice: (notice) => logger.debug({ notice: notice.message }, 'postgres notice'),
    // The driver's own backoff grows to 20 s between reconnects, and held edits (the update
    // outbox) wait for it after an outage; the shared formula, capped at 2 s, brings them back
    // within about a second of Postgres's return. Seconds, as the driver counts.
    backoff: (retries: number) => backoffDelay(retries, RECONNECT_BACKOFF) / 1000,
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
  documents: DocumentStore = createDocumentRepository(db),
): Database {
  let closing: Promise<void> | undefined;
  return {
    kind,
    documents,
    events: createEventArchiveRepository(db),
    writing: createWritingRepository(db),
    documentClients: createDocumentClientRepository(db),
    wordRanges: createWordRangeRepository(db),
    notifications: createNotificationRepository(db),
    versions: createVersionRepository(db),
    workflows: createWorkflowRepository(db),
    projectDocuments: createProjectDocumentsQuery(db),
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
