import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The signing secret. Production must configure AUTH_SECRET (config.ts refuses to start without
 * it). Elsewhere a random secret is generated once and kept in DATA_DIR so tokens survive
 * restarts and `npm run token` can sign with the same key.
 */
export async function resolveAuthSecret(options: {
  configured: string | undefined;
  dataDir: string;
}): Promise<{ secret: string; source: 'env' | 'generated' | 'data-dir' }> {
  if (options.configured) return { secret: options.configured, source: 'env' };
  const file = join(options.dataDir, 'auth-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return { secret: existing, source: 'data-dir' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(options.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: 'generated' };
}

export function authSecretFile(dataDir: string): string {
  return join(dataDir, 'auth-secret');
}
