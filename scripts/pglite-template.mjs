/**
 * Builds the pre-initialized PGlite data directory a fresh DATA_DIR starts from
 * (src/db/pglite/template.ts says why): initdb and every committed migration in an in-memory
 * PGlite, a CHECKPOINT, then its data directory as a gzipped tarball in
 * node_modules/.cache/storyloom/ (never committed). Does nothing when the stored one is current.
 *
 *   node scripts/pglite-template.mjs [--postinstall] [--force] [--dir <folder>]
 *
 * As `postinstall` it never fails the install: without the template the server runs initdb
 * and the migrations on first start, as before, only slower.
 */
const postinstall = process.argv.includes('--postinstall');
const force = process.argv.includes('--force');
const dirAt = process.argv.indexOf('--dir');
const dir = dirAt > 0 ? process.argv[dirAt + 1] : undefined; // default: the cache the server reads
const started = performance.now();
const log = (message) => console.log(`[pglite-template] ${message}`);

try {
  // Plain Node strips the types of this one TypeScript file (it has no relative imports).
  const template = await import('../src/db/pglite/template.ts');
  const meta = { pglite: await template.installedPgliteVersion(), migrations: await template.migrationFingerprints() };
  if (!force && (await template.templateIsCurrent(meta, dir))) {
    log(`up to date (${meta.migrations.length} migrations, PGlite ${meta.pglite})`);
    process.exit(0);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const pg = await PGlite.create();
  try {
    await migrate(drizzle(pg), { migrationsFolder: template.TEMPLATE_MIGRATIONS_FOLDER });
    // Dirty pages live in shared buffers until a checkpoint; the dump reads the files.
    await pg.query('CHECKPOINT');
    const dump = await pg.dumpDataDir('gzip');
    const path = await template.writeTemplate(new Uint8Array(await dump.arrayBuffer()), meta, dir);
    log(`built ${path} (${meta.migrations.length} migrations, PGlite ${meta.pglite}, ${(dump.size / 2 ** 20).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await pg.close();
  }
} catch (error) {
  console.error(`[pglite-template] not built: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(postinstall ? 0 : 1);
}
