#!/usr/bin/env node
/**
 * Builds the demo web app (web/ -> web/dist) that the server serves at / and /dashboard.
 *   npm run build:web            build the client SDK (tsc) if it has a build script, then Vite
 *   node scripts/build-web.mjs --postinstall
 * As `postinstall` it never fails the install: without Vite (`npm ci --omit=dev`) or on any
 * error it says so and exits 0, and the server answers / with a page saying how to build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const postinstall = process.argv.includes('--postinstall');
const started = performance.now();
const log = (message) => console.log(`[build:web] ${message}`);
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

function finish(code, message) {
  if (code === 0) log(message);
  else console.error(`[build:web] ${message}`);
  // An install must not fail because the demo could not be built.
  process.exit(postinstall ? 0 : code);
}

if (!existsSync(join(root, 'web', 'vite.config.ts'))) finish(0, 'skipped: no web/ directory');
if (!existsSync(join(root, 'node_modules', 'vite', 'package.json'))) {
  finish(0, 'skipped: vite is not installed (production install?). Install dev dependencies and run `npm run build:web` to get the demo at /.');
}

const sdkPackage = join(root, 'client-sdk', 'package.json');
const sdkScripts = existsSync(sdkPackage) ? (JSON.parse(readFileSync(sdkPackage, 'utf8')).scripts ?? {}) : {};
if (sdkScripts.build) {
  log('building the client SDK (tsc)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const sdk = spawnSync(npm, ['run', 'build', '--workspace', 'client-sdk', '--silent'], { cwd: root, stdio: 'inherit' });
  if (sdk.status !== 0) finish(1, `the client SDK build failed (exit ${sdk.status ?? sdk.signal}); see above`);
  log(`client SDK built (${seconds()})`);
}

log('bundling web/ with Vite…');
try {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
} catch (error) {
  finish(1, `Vite build failed: ${error instanceof Error ? error.message : String(error)}`);
}
finish(0, `done in ${seconds()}: web/dist is served at / and /dashboard`);
