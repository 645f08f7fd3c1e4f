import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { documentStoreContract } from '../contracts/document-store.contract.js';
import { createTestDatabase, serviceAvailable } from '../helpers/services.js';

const logger = createLogger({ level: 'silent' });

describe('PGlite', () => {
  let dataDir = '';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-store-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  documentStoreContract('PGlite', async () => {
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

  documentStoreContract('Postgres', async () => {
    const db = await createDatabase({ databaseUrl: database!.url, dataDir: 'unused', logger });
    expect(db.kind).toBe('postgres');
    return { db, cleanup: () => db.close() };
  });

  it('migrates a fresh database from several instances starting at once', async () => {
    const fresh = await createTestDatabase();
    try {
      const instances = await Promise.all(
        Array.from({ length: 4 }, () => createDatabase({ databaseUrl: fresh.url, dataDir: 'unused', logger })),
      );
      try {
        const [seq] = await instances[0]!.documents.appendUpdates([
          { documentName: 'p/race', update: Uint8Array.of(1), userId: null, receivedAt: Date.now() },
        ]);
        for (const instance of instances) {
          expect((await instance.documents.load('p/race')).updates.map((u) => u.seq)).toEqual([seq]);
        }
      } finally {
        await Promise.all(instances.map((instance) => instance.close()));
      }
    } finally {
      await fresh.drop();
    }
  });
});
