import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import type { Database } from '../../src/db/document-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, serviceAvailable } from './services.js';

const logger = createLogger({ level: 'silent' });

/** How a contract suite opens the database under test; `cleanup` closes the handle only. */
export type OpenDatabase = () => Promise<{ db: Database; cleanup(): Promise<void> }>;

/**
 * Runs one storage contract suite on every backend: PGlite (a temp dir) always, Postgres (a
 * database of its own) when DATABASE_URL is set. `more` adds backend-specific tests inside the
 * Postgres block.
 */
export function onEveryDatabase(contract: (name: string, open: OpenDatabase) => void, more?: { postgres?: () => void }): void {
  describe('PGlite', () => {
    let dataDir = '';
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'storyloom-store-'));
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });
    contract('PGlite', async () => {
      const db = await createDatabase({ dataDir, logger });
      expect(db.kind).toBe('pglite');
      return { db, cleanup: () => db.close() };
    });
  });

  describe.skipIf(!serviceAvailable('postgres'))('Postgres', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });
    contract('Postgres', async () => {
      const db = await createDatabase({ databaseUrl: database!.url, dataDir: 'unused', logger });
      expect(db.kind).toBe('postgres');
      return { db, cleanup: () => db.close() };
    });
    more?.postgres?.();
  });
}
