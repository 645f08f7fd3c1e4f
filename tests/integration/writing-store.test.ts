import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { writingStoreContract } from '../contracts/writing-store.contract.js';
import { createTestDatabase, serviceAvailable } from '../helpers/services.js';

const logger = createLogger({ level: 'silent' });

describe('PGlite', () => {
  let dataDir = '';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-writing-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  writingStoreContract('PGlite', async () => {
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

  writingStoreContract('Postgres', async () => {
    const db = await createDatabase({ databaseUrl: database!.url, dataDir: 'unused', logger });
    expect(db.kind).toBe('postgres');
    return { db, cleanup: () => db.close() };
  });
});
