import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { documentStoreContract } from '../contracts/document-store.contract.js';
import { onEveryDatabase } from '../helpers/databases.js';
import { createTestDatabase } from '../helpers/services.js';

const logger = createLogger({ level: 'silent' });

onEveryDatabase(documentStoreContract, {
  postgres: () => {
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
  },
});

// The embedded mode's default keeps the update log in segment files (src/db/update-log/); the
// log in PGlite's own table stays selectable and must keep the same contract.
describe('PGlite, update log in PGlite', () => {
  let dataDir = '';
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-store-sqllog-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  documentStoreContract('PGlite, log in PGlite', async () => {
    const db = await createDatabase({ dataDir, logger, embeddedUpdateLog: 'pglite' });
    return { db, cleanup: () => db.close() };
  });
});

describe('PGlite data directory from before the file update log', () => {
  it('moves its log rows into the segment files on first open, under their own seqs', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-store-upgrade-'));
    try {
      const doc = 'book/upgrade';
      const old = await createDatabase({ dataDir, logger, embeddedUpdateLog: 'pglite' });
      const seqs = await old.documents.appendUpdates([1, 2, 3].map((n) => ({ documentName: doc, update: Uint8Array.of(n), userId: `u${n}`, receivedAt: 1_700_000_000_000 + n })));
      await old.documents.storeSnapshot(doc, Uint8Array.of(9), seqs.slice(0, 1));
      const before = await old.documents.load(doc);
      await old.close();

      const upgraded = await createDatabase({ dataDir, logger });
      expect(await upgraded.documents.load(doc)).toEqual(before);
      const [next] = await upgraded.documents.appendUpdates([{ documentName: doc, update: Uint8Array.of(4), userId: null, receivedAt: 1 }]);
      expect(next).toBeGreaterThan(seqs[2]!);
      await upgraded.close();
      expect((await readdir(join(dataDir, 'update-log'))).length).toBeGreaterThan(0);

      // The rows left PGlite's table: read with the table-backed log, only the snapshot is there.
      const sqlOnly = await createDatabase({ dataDir, logger, embeddedUpdateLog: 'pglite' });
      expect(await sqlOnly.documents.load(doc)).toEqual({ snapshot: before.snapshot, updates: [] });
      await sqlOnly.close();

      const again = await createDatabase({ dataDir, logger });
      expect((await again.documents.load(doc)).updates.map((u) => u.seq)).toEqual([seqs[1], seqs[2], next]);
      await again.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    // Four PGlite opens, on a 2-core machine shared with other work.
  }, 180_000);
});
