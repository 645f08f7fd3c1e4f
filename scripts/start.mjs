/**
 * `npm start`: runs the server from the JavaScript bundle in .start/ (see build-start.mjs),
 * rebuilding it first when src/ changed, in this same process (no wrapper process between npm
 * and the server, so SIGTERM/SIGINT reach src/main.ts's handlers directly).
 * `npm run start:tsx` is the old way (tsx transpiling at run time); tests spawn that one.
 */
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureStartBuild, OUT } from './build-start.mjs';

await ensureStartBuild();
// V8's code cache on disk: later starts skip compiling the bundle's functions again (existing
// directory 1.02 s against 1.26 s without, medians of 4, 2026-12-04). The env variable carries it
// into the PGlite worker.
const compileCache = join(OUT, '..', 'node_modules', '.cache', 'storyloom', 'compile');
process.env.NODE_COMPILE_CACHE ??= compileCache;
enableCompileCache(process.env.NODE_COMPILE_CACHE);
// No source maps by default: Node then reads and keeps every .js.map as modules load, ~20-50 MB
// of RSS measured here (with one file per module). `NODE_OPTIONS=--enable-source-maps npm start` maps traces to src/*.ts.
await import(pathToFileURL(`${OUT}/main.js`).href);
