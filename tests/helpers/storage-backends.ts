import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, serviceAvailable } from './services.js';

/** One storage a server process can be started on: its env, and how to throw it away. */
export interface StorageBackend {
  name: string;
  env(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

/**
 * The storages a durability test runs on: PGlite in a temp DATA_DIR always, and a database of
 * its own on Postgres when DATABASE_URL is set. `prefix` names the temp folders.
 */
export function storageBackends(prefix: string): StorageBackend[] {
  const tempDir = () => mkdtemp(join(tmpdir(), `${prefix}-`));
  const backends: StorageBackend[] = [
    {
      name: 'PGlite',
      async env() {
        const dir = await tempDir();
        return { env: { DATA_DIR: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
      },
    },
  ];
  if (serviceAvailable('postgres')) {
    backends.push({
      name: 'Postgres',
      async env() {
        const db = await createTestDatabase();
        const dir = await tempDir();
        return {
          env: { DATABASE_URL: db.url, DATA_DIR: dir },
          cleanup: async () => {
            await db.drop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
    });
  }
  return backends;
}
