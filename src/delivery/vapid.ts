import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadWebPush } from './libs.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The VAPID key pair, resolved like the auth secret (src/auth/secret.ts): configured keys win;
 * outside production a pair is generated once and kept in DATA_DIR so browsers' subscriptions
 * (bound to the public key) survive restarts; production without keys has no push channel,
 * which readiness reports, rather than a key that changes on every deploy.
 */
export async function resolveVapidKeys(options: {
  configured: { publicKey: string | undefined; privateKey: string | undefined };
  dataDir: string;
  production: boolean;
}): Promise<{ keys: VapidKeys; source: 'env' | 'generated' | 'data-dir' } | undefined> {
  const { publicKey, privateKey } = options.configured;
  if (publicKey && privateKey) return { keys: { publicKey, privateKey }, source: 'env' };
  if (options.production) return undefined;
  const file = vapidKeysFile(options.dataDir);
  try {
    const existing = JSON.parse(await readFile(file, 'utf8')) as Partial<VapidKeys>;
    if (typeof existing.publicKey === 'string' && typeof existing.privateKey === 'string') {
      return { keys: { publicKey: existing.publicKey, privateKey: existing.privateKey }, source: 'data-dir' };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  await mkdir(options.dataDir, { recursive: true });
  const keys = (await loadWebPush()).generateVAPIDKeys();
  await writeFile(file, `${JSON.stringify({ publicKey: keys.publicKey, privateKey: keys.privateKey })}\n`, { mode: 0o600 });
  return { keys: { publicKey: keys.publicKey, privateKey: keys.privateKey }, source: 'generated' };
}

export function vapidKeysFile(dataDir: string): string {
  return join(dataDir, 'vapid-keys.json');
}
