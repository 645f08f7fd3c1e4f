import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { INITIALIZING_MARKER } from '../../src/db/pglite/protocol.js';
import { chooseTemplate, migrationFingerprints, type TemplateMeta } from '../../src/db/pglite/template.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A logger that keeps its JSON lines, so a test can see how the data directory was made. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const initialized = () => lines.find((l) => l.msg === 'database opened')?.initialized;
  return { logger, lines, initialized };
}

async function roundTrip(dataDir: string, templateDir: string | false, expected: 'template' | 'initdb') {
  const first = capturingLogger();
  const db = await createDatabase({ dataDir, logger: first.logger, pgliteTemplateDir: templateDir });
  try {
    expect(first.initialized()).toBe(expected);
    await db.documents.appendUpdates([{ documentName: 'p/d', update: Uint8Array.of(1, 2, 3), userId: 'u', receivedAt: Date.now() }]);
  } finally {
    await db.close();
  }
  const second = capturingLogger();
  const again = await createDatabase({ dataDir, logger: second.logger, pgliteTemplateDir: templateDir });
  try {
    expect(second.initialized()).toBe('existing');
    expect((await again.documents.load('p/d')).updates.map((u) => [...u.update])).toEqual([[1, 2, 3]]);
    await again.ping();
  } finally {
    await again.close();
  }
}

describe('PGlite template data directory', () => {
  let templateDir = '';
  let scratch = '';
  // The install step itself, into a folder of this test's own.
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'storyloom-template-'));
    templateDir = join(scratch, 'template');
    const built = spawnSync(process.execPath, ['scripts/pglite-template.mjs', '--dir', templateDir], { cwd: repoRoot, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toContain('built');
  }, 120_000);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('is current right after it was built (the install step then does nothing)', { timeout: 30_000 }, () => {
    const again = spawnSync(process.execPath, ['scripts/pglite-template.mjs', '--dir', templateDir], { cwd: repoRoot, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('up to date');
  });

  it('starts a fresh data directory from the template, fully migrated, and reopens it as an existing one', { timeout: 90_000 }, async () => {
    const choice = await chooseTemplate(templateDir);
    expect(choice.archive).not.toBeNull();
    await roundTrip(join(scratch, 'fresh'), templateDir, 'template');
  });

  it('uses the template when it holds a prefix of the migrations (the rest run on top)', async () => {
    const meta = JSON.parse(await readFile(join(templateDir, 'pglite-template.json'), 'utf8')) as TemplateMeta;
    const current = await migrationFingerprints();
    expect(meta.migrations).toEqual(current);
    const prefixDir = join(scratch, 'prefix');
    await mkdir(prefixDir);
    await writeFile(join(prefixDir, 'pglite-template.json'), JSON.stringify({ ...meta, migrations: current.slice(0, -1) }));
    expect(await chooseTemplate(prefixDir)).toMatchObject({ migrations: current.length - 1 });
  });

  it('refuses a template of another PGlite version or other migrations, and a missing one', async () => {
    const meta = JSON.parse(await readFile(join(templateDir, 'pglite-template.json'), 'utf8')) as TemplateMeta;
    const other = join(scratch, 'other');
    await mkdir(other);
    await writeFile(join(other, 'pglite-template.json'), JSON.stringify({ ...meta, pglite: '0.0.1' }));
    expect(await chooseTemplate(other)).toMatchObject({ archive: null, reason: expect.stringContaining('0.0.1') });
    await writeFile(join(other, 'pglite-template.json'), JSON.stringify({ ...meta, migrations: ['0000_init:1:0000000000000000'] }));
    expect(await chooseTemplate(other)).toMatchObject({ archive: null, reason: expect.stringContaining('prefix') });
    expect(await chooseTemplate(join(scratch, 'none'))).toMatchObject({ archive: null, reason: expect.stringContaining('no template') });
  });

  it('falls back to initdb and every migration without a usable template', { timeout: 120_000 }, async () => {
    await roundTrip(join(scratch, 'initdb'), join(scratch, 'none'), 'initdb');
  });

  it('makes again a data directory whose making was interrupted (the marker is still there)', { timeout: 90_000 }, async () => {
    const dataDir = join(scratch, 'interrupted');
    const pgliteDir = join(dataDir, 'pglite');
    await mkdir(join(pgliteDir, 'global'), { recursive: true });
    // What a kill during the unpacking leaves: a PG_VERSION with half a catalog.
    await writeFile(join(pgliteDir, 'PG_VERSION'), '17\n');
    await writeFile(join(pgliteDir, 'global', 'pg_control'), 'torn');
    await writeFile(join(pgliteDir, INITIALIZING_MARKER), '');
    await roundTrip(dataDir, templateDir, 'template');
  });
});
