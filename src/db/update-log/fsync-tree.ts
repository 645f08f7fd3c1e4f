import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * fsyncs every file and folder under `root` changed at or after `sinceMs` (mtime), folders
 * included so new files' entries are durable too. Returns how many were synced.
 *
 * Why: PGlite starts Postgres with `-F` (fsync off), so its CHECKPOINT hands pages to the kernel
 * (a full disk fails it) but never asks for them on stable storage. Before a fold may become
 * durable in the update log, the snapshot it relies on must survive a power loss too.
 */
export async function fsyncChangedTree(root: string, sinceMs: number): Promise<number> {
  let synced = 0;
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile() && (await stat(path)).mtimeMs >= sinceMs) synced += await fsyncPath(path);
    }
    if ((await stat(dir)).mtimeMs >= sinceMs) synced += await fsyncPath(dir);
  };
  await visit(root);
  return synced;
}

async function fsyncPath(path: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    // Removed meanwhile (a dropped relation, a recycled WAL segment): nothing to sync.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    await handle.sync();
    return 1;
  } finally {
    await handle.close();
  }
}
