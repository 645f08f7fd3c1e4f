/**
 * A pre-initialized PGlite data directory ("template"): initdb plus every committed migration,
 * dumped once as a tarball by `scripts/pglite-template.mjs` (run by `postinstall`) into a
 * git-ignored cache. A fresh data directory then starts by unpacking it (untar.ts, in the worker)
 * instead of running initdb in a second WebAssembly instance and then all migrations: measured
 * on this 2-core box, first start 10-12 s and ~800 MB RSS without it (see src/db/client.ts).
 *
 * The template is used only when it was built by the installed PGlite version from a prefix of
 * the committed migrations (same tag, timestamp and SQL); the migrations newer than it then run
 * on top as usual (drizzle's journal decides). Anything else, or no template, means the old
 * path: initdb and all migrations.
 *
 * No relative imports and only erasable TypeScript: the install script imports this file with
 * plain Node (type stripping), before anything is compiled.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../../', import.meta.url);
/** The committed drizzle-kit output (the same folder src/db/migrate.ts applies). */
export const TEMPLATE_MIGRATIONS_FOLDER = fileURLToPath(new URL('migrations/', ROOT));
/** Build output, never committed: node_modules/.cache is where tools keep such things. */
export const DEFAULT_TEMPLATE_DIR = fileURLToPath(new URL('node_modules/.cache/storyloom/', ROOT));
const ARCHIVE = 'pglite-template.tar.gz';
const META = 'pglite-template.json';

export interface TemplateMeta {
  /** The @electric-sql/pglite version that wrote it: its on-disk format is that version's. */
  pglite: string;
  /** One fingerprint per migration baked in, in journal order (see migrationFingerprints). */
  migrations: string[];
}

export type TemplateChoice = { archive: string; migrations: number } | { archive: null; reason: string };

/** `tag:when:sha256(sql)` of each migration in drizzle's journal, in order. */
export async function migrationFingerprints(folder = TEMPLATE_MIGRATIONS_FOLDER): Promise<string[]> {
  const journal = JSON.parse(await readFile(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
  return Promise.all(
    journal.entries.map(async (e) => {
      const sql = await readFile(join(folder, `${e.tag}.sql`));
      return `${e.tag}:${e.when}:${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
    }),
  );
}

/** The installed PGlite's version (hoisted next to this repo's other dependencies). */
export async function installedPgliteVersion(): Promise<string> {
  const pkg = new URL('node_modules/@electric-sql/pglite/package.json', ROOT);
  return (JSON.parse(await readFile(pkg, 'utf8')) as { version: string }).version;
}

/** The template archive to start a fresh data directory from, or why there is none to use. */
export async function chooseTemplate(dir = DEFAULT_TEMPLATE_DIR): Promise<TemplateChoice> {
  let meta: TemplateMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as TemplateMeta;
  } catch {
    return { archive: null, reason: `no template in ${dir} (built by \`node scripts/pglite-template.mjs\` at install)` };
  }
  const [version, current] = await Promise.all([installedPgliteVersion(), migrationFingerprints()]);
  if (meta.pglite !== version) return { archive: null, reason: `template written by PGlite ${meta.pglite}, installed is ${version}` };
  const prefix = meta.migrations.length <= current.length && meta.migrations.every((m, i) => m === current[i]);
  if (!prefix) return { archive: null, reason: 'template migrations are not a prefix of the committed ones' };
  return { archive: join(dir, ARCHIVE), migrations: meta.migrations.length };
}

/** Whether `dir` already holds a template for exactly these migrations and this PGlite. */
export async function templateIsCurrent(meta: TemplateMeta, dir = DEFAULT_TEMPLATE_DIR): Promise<boolean> {
  try {
    const stored = JSON.parse(await readFile(join(dir, META), 'utf8')) as TemplateMeta;
    await readFile(join(dir, ARCHIVE)).then((b) => b.byteLength > 0 || Promise.reject(new Error('empty')));
    return JSON.stringify(stored) === JSON.stringify(meta);
  } catch {
    return false;
  }
}

/** Stores the archive, then its meta (both by rename): a reader never sees meta without its archive. */
export async function writeTemplate(archive: Uint8Array, meta: TemplateMeta, dir = DEFAULT_TEMPLATE_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, META), { force: true }); // the old meta must not vouch for the new archive
  const suffix = `.${process.pid}.tmp`;
  await writeFile(join(dir, ARCHIVE + suffix), archive);
  await rename(join(dir, ARCHIVE + suffix), join(dir, ARCHIVE));
  await writeFile(join(dir, META + suffix), JSON.stringify(meta));
  await rename(join(dir, META + suffix), join(dir, META));
  return join(dir, ARCHIVE);
}
