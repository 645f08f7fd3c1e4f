/**
 * The JavaScript that `npm start` runs: src/ bundled by esbuild (no type checking) into the
 * git-ignored `.start/`. Why: under tsx every start transpiled ~270 files (BENCHMARKS.md,
 * startup), and even as plain JavaScript one file per module, Node's loader (resolving,
 * CommonJS interop, compiling ~900 modules) took most of an existing directory's start. A bundle
 * is a few files: `main.js`, `db/pglite/worker.js` (the PGlite worker thread, its own entry) and
 * the chunks they share or load lazily (`import()` stays lazy: `splitting` makes each a chunk).
 *
 * Dependencies are bundled too (CommonJS ones through the `require` banner below), except the
 * two in EXTERNAL.
 *
 * `import.meta.url` in src/ is rewritten to the URL the module would have had as its own file in
 * .start/ (src/db/migrate.ts → .start/db/migrate.js), so the paths that leave src/ (../web/dist,
 * ../../migrations, the PGlite template, ./worker.js) resolve as under tsx and in tsc's dist/,
 * and the sources need not know about bundling. Those URLs are absolute: the stamp includes this
 * checkout's path, so a moved checkout rebuilds.
 *
 * `ensureStartBuild()` rebuilds only when src/ changed since the last build (a stamp of every
 * source's path, size and mtime), so a developer never runs stale code and an unchanged tree
 * costs one stat per file (a few ms). `node scripts/build-start.mjs` builds unconditionally
 * (postinstall runs it with --postinstall, where a failure only warns: `npm start` retries).
 * Type errors are `npm run typecheck`'s business, as they are under tsx.
 */
import { builtinModules } from 'node:module';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
export const OUT = join(ROOT, '.start');
const STAMP = join(OUT, '.stamp.json');
/** Bump when the build options change, so existing builds are redone. */
const FORMAT = 3;
/** Entry points, by output name (relative to .start/, without .js). */
const ENTRIES = { main: 'main.ts', 'db/pglite/worker': 'db/pglite/worker.ts' };
/**
 * Loaded from node_modules at run time. @electric-sql/pglite locates its own files (WebAssembly,
 * data) by URL. ioredis is CommonJS loaded with `import()` (src/compose/redis-libs.ts) for its
 * named export `Redis`: esbuild's chunk for such a module exports only `default`.
 */
const EXTERNAL = ['@electric-sql/pglite', 'ioredis'];
/**
 * esbuild's ESM output of a CommonJS dependency calls `require` for Node's built-ins; an ES
 * module has none, so each output file gets one (and `__filename`/`__dirname`, which a few
 * dependencies read, pointing at the output file).
 */
const BANNER = [
  "import { createRequire as __storyloomCreateRequire } from 'node:module';",
  "import { fileURLToPath as __storyloomFileURLToPath } from 'node:url';",
  'const require = __storyloomCreateRequire(import.meta.url);',
  'const __filename = __storyloomFileURLToPath(import.meta.url);',
  "const __dirname = __storyloomFileURLToPath(new URL('.', import.meta.url));",
].join(' ');

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
  return JSON.stringify({ format: FORMAT, root: ROOT, files: files.map((f, i) => [relative(SRC, f), stats[i].size, stats[i].mtimeMs]) });
}

async function readStamp() {
  try {
    return await readFile(STAMP, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file:// URL src/<rel>.ts would have as .start/<rel>.js. */
export const oneToOneUrl = (file) => pathToFileURL(join(OUT, relative(SRC, file).replace(/\.ts$/, '.js'))).href;

/** Replaces `import.meta.url` in src/ files with their one-to-one output's URL (see the top). */
const importMetaUrlPlugin = {
  name: 'storyloom-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      if (relative(SRC, path).startsWith('..')) return undefined;
      const text = await readFile(path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(oneToOneUrl(path))), loader: 'ts' };
    });
  },
};

/**
 * Node's built-ins through `require` instead of `import`: importing one as an ES module builds a
 * facade that reads every one of its exports at once (a profile showed 80-100 ms of the start in
 * those facades); as CommonJS, esbuild's interop reads an export where it is used. Existing
 * directory's start, process CPU 1.31 s against 1.45 s (medians of 4, 2026-12-04).
 */
const builtinsAsCommonJsPlugin = {
  name: 'storyloom-builtins-as-commonjs',
  setup(build) {
    const builtin = new RegExp(`^(node:.*|${builtinModules.join('|')})$`);
    build.onResolve({ filter: builtin }, ({ path, kind }) => (kind === 'import-statement' ? { path, namespace: 'builtin-cjs' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js' }));
  },
};

/** Bundles src/ into .start/; returns how many output files and how long it took. */
export async function buildStart() {
  const t0 = performance.now();
  const stamp = await fingerprint(await sources());
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, src]) => [out, join(SRC, src)])),
    outdir: OUT,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: EXTERNAL,
    banner: { js: BANNER },
    // Written next to each file (naming src/ and node_modules/ rather than copying them), read only with `NODE_OPTIONS=--enable-source-maps` (scripts/start.mjs).
    sourcemap: 'linked',
    sourcesContent: false,
    // As tsc with this repository's tsconfig: imports are kept as written.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    plugins: [importMetaUrlPlugin, builtinsAsCommonJsPlugin],
    write: false,
    logLevel: 'warning',
  });
  // Write-then-rename, chunks before the entry points that import them: a server starting at
  // the same moment runs either the old build or the new one.
  const isEntry = (path) => Object.keys(ENTRIES).some((name) => path === join(OUT, `${name}.js`));
  const files = [...result.outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)));
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    await writeFile(tmp, file.contents);
    await rename(tmp, file.path);
  }
  await removeStale(OUT, new Set(files.map((f) => f.path)));
  await writeFile(STAMP, stamp);
  return { files: files.filter((f) => f.path.endsWith('.js')).length, ms: Math.round(performance.now() - t0) };
}

/** Output no longer built (an older build's chunks, the former one-file-per-module layout). */
async function removeStale(dir, keep) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await removeStale(path, keep);
      if ((await readdir(path)).length === 0) await rm(path, { recursive: true, force: true });
    } else if ((entry.name.endsWith('.js') || entry.name.endsWith('.js.map')) && !keep.has(path)) await rm(path, { force: true });
  }
}

/** Rebuilds when src/ differs from what .start/ was built from; true if it did. */
export async function ensureStartBuild() {
  const stamp = await readStamp();
  if (stamp !== undefined && stamp === (await fingerprint(await sources()))) return false;
  const { files, ms } = await buildStart();
  console.error(`storyloom: src/ changed since the last start; bundled it into ${files} files in .start/ in ${ms} ms`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const postinstall = process.argv.includes('--postinstall');
  try {
    const { files, ms } = await buildStart();
    console.log(`build-start: bundled src/ into ${files} files in .start/ in ${ms} ms`);
  } catch (error) {
    if (!postinstall) throw error;
    console.warn(`build-start: skipped (${error instanceof Error ? error.message : error}); npm start will build .start/ itself`);
  }
}
