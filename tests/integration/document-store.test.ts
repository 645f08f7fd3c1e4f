import { expect, it } from 'vitest';
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
