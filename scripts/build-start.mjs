/**
 * The JavaScript that `npm start` runs: every src/**\/*.ts transpiled one to one (esbuild, no
 * type checking, no bundling) into the git-ignored `.start/`, next to src/ so the paths that
 * leave src/ (../web/dist, ../../migrations, the PGlite template under node_modules/.cache)
 * resolve the same. Why: `node --import tsx src/main.ts` transpiles ~270 files on every start
 * (and again in the PGlite worker thread); measured on this 2-core box that cost ~1.3 s of a
 * 2.7-4 s start and 60-80 MB of RSS (BENCHMARKS.md, startup).
 *
 * One file per source, not a bundle: import.meta.url-relative paths (the worker, migrations,
 * the web app) keep working, and a stack trace names the same file as the editor.
 *
 * `ensureStartBuild()` rebuilds only when src/ changed since the last build (a stamp of every
 * source's path, size and mtime), so a developer never runs stale code and an unchanged tree
 * costs one stat per file (a few ms). `node scripts/build-start.mjs` builds unconditionally
 * (postinstall runs it with --postinstall, where a failure only warns: `npm start` retries).
 * Type errors are `npm run typecheck`'s business, as they are under tsx.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
export const OUT = join(ROOT, '.start');
const STAMP = join(OUT, '.stamp.json');
/** Bump when the transform options change, so existing builds are redone. */
const FORMAT = 1;

async function sources(dir = SRC) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** path, size and mtime of every source: any edit, new file or deleted file changes it. */
async function fingerprint(files) {
  const stats = await Promise.all(files.map((f) => stat(f)));
  return JSON.stringify({ format: FORMAT, files: files.map((f, i) => [relative(SRC, f), stats[i].size, stats[i].mtimeMs]) });
}

async function readStamp() {
  try {
    return await readFile(STAMP, 'utf8');
  } catch {
    return undefined;
  }
}

/** Transpiles all of src/ into .start/; returns how many files and how long it took. */
export async function buildStart() {
  const t0 = performance.now();
  const files = await sources();
  const stamp = await fingerprint(files);
  const { transform } = await import('esbuild');
  const written = new Set();
  await Promise.all(
    files.map(async (file) => {
      const rel = relative(SRC, file);
      const outFile = join(OUT, rel.replace(/\.ts$/, '.js'));
      const result = await transform(await readFile(file, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'node22',
        sourcemap: 'external',
        sourcefile: relative(dirname(outFile), file),
        // As tsc with this repository's tsconfig: imports are kept as written.
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      });
      await mkdir(dirname(outFile), { recursive: true });
      // Write-then-rename: a server starting at the same moment never imports half a file.
      const tmp = `${outFile}.${process.pid}.tmp`;
      await writeFile(tmp, `${result.code}//# sourceMappingURL=${rel.split('/').pop().replace(/\.ts$/, '.js.map')}\n`);
      await writeFile(`${outFile}.map`, result.map);
      await rename(tmp, outFile);
      written.add(outFile);
    }),
  );
  await removeStale(OUT, written);
  await writeFile(STAMP, stamp);
  return { files: files.length, ms: Math.round(performance.now() - t0) };
}

/** Output whose source was deleted or renamed: left behind, it could still be imported. */
async function removeStale(dir, keep) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await removeStale(path, keep);
    else if (entry.name.endsWith('.js') && !keep.has(path)) await rm(path, { force: true });
    else if (entry.name.endsWith('.js.map') && !keep.has(path.slice(0, -4))) await rm(path, { force: true });
  }
}

/** Rebuilds when src/ differs from what .start/ was built from; true if it did. */
export async function ensureStartBuild() {
  const stamp = await readStamp();
  if (stamp !== undefined && stamp === (await fingerprint(await sources()))) return false;
  const { files, ms } = await buildStart();
  console.error(`storyloom: src/ changed since the last start; transpiled ${files} files into .start/ in ${ms} ms`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const postinstall = process.argv.includes('--postinstall');
  try {
    const { files, ms } = await buildStart();
    console.log(`build-start: transpiled ${files} files into .start/ in ${ms} ms`);
  } catch (error) {
    if (!postinstall) throw error;
    console.warn(`build-start: skipped (${error instanceof Error ? error.message : error}); npm start will build .start/ itself`);
  }
}
