/**
 * `npm start`: runs the server from the transpiled JavaScript in .start/ (see build-start.mjs),
 * rebuilding it first when src/ changed, in this same process (no wrapper process between npm
 * and the server, so SIGTERM/SIGINT reach src/main.ts's handlers directly).
 * `npm run start:tsx` is the old way (tsx transpiling at run time); tests spawn that one.
 */
import { pathToFileURL } from 'node:url';
import { ensureStartBuild, OUT } from './build-start.mjs';

await ensureStartBuild();
// No source maps by default: Node then reads and keeps every .js.map as modules load, ~20-50 MB
// of RSS measured here. `NODE_OPTIONS=--enable-source-maps npm start` maps traces to src/*.ts.
await import(pathToFileURL(`${OUT}/main.js`).href);
