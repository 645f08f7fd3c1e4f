import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, redisUrl, serviceAvailable } from '../helpers/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, '.start');

/**
 * What `npm start` runs: src/ bundled into .start/ (scripts/build-start.mjs). The other suites
 * run the sources through tsx, so this is where the bundle's own risks are checked: the paths
 * that leave src/ (the PGlite worker, the template, the migrations, web/dist) and the chunks
 * loaded on first use.
 */
describe('npm start: the .start/ bundle', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-start-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('builds the two entry points, and nothing of the one-file-per-module layout is left', () => {
    const build = spawnSync(process.execPath, ['scripts/build-start.mjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(existsSync(join(OUT, 'main.js'))).toBe(true);
    expect(existsSync(join(OUT, 'db/pglite/worker.js'))).toBe(true);
    expect(existsSync(join(OUT, 'server.js'))).toBe(false);
  });

  const readyz = async (s: ServerProcess) => (await fetch(`${s.httpUrl}/readyz`)).status;
  const stop = async (s: ServerProcess) => {
    s.child.kill('SIGTERM');
    return s.exited;
  };

  it('starts on a fresh data directory (template, migrations, worker), serves the web app, and loads a lazy chunk', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir, DEV_TOKENS: 'true' }, { runtime: 'start' });
    try {
      expect(await readyz(server)).toBe(200);
      expect(server.lines.join('\n')).toContain('starting from the template');
      if (existsSync(join(ROOT, 'web/dist/index.html'))) {
        const page = await fetch(`${server.httpUrl}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
      }
      const { token } = (await (await fetch(`${server.httpUrl}/api/dev/token?user=alice`)).json()) as { token: string };
      // The docx writer is a chunk of its own, imported on the first export.
      const docx = await fetch(`${server.httpUrl}/api/documents/demo/chapter-1/export?format=docx`, { headers: { authorization: `Bearer ${token}` } });
      expect(docx.status).toBe(200);
      expect(Buffer.from(await docx.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });

  // Their drivers (postgres, patched by patch-package; ioredis, loaded on demand) are the
  // bundle's other dependencies with their own loading: checked when the services are there.
  it.skipIf(!serviceAvailable('postgres'))('starts on Postgres', async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess({ DATA_DIR: dataDir, DATABASE_URL: db.url }, { runtime: 'start' });
    try {
      expect(await readyz(server)).toBe(200);
    } finally {
      expect(await stop(server)).toBe(0);
      await db.drop();
    }
  });

  it.skipIf(!serviceAvailable('redis'))('starts with Redis', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir, REDIS_URL: redisUrl! }, { runtime: 'start' });
    try {
      expect(await readyz(server)).toBe(200);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });

  it('starts again on the same data directory', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir }, { runtime: 'start' });
    try {
      expect(await readyz(server)).toBe(200);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });
});
