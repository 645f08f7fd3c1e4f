import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireServices } from '../helpers/services.js';

/** Helpers of the browser suites: Chromium, an up-to-date web build, console-error capture. */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST_INDEX = join(ROOT, 'web', 'dist', 'index.html');
export const SCREENSHOTS = join(ROOT, 'test-results', 'e2e');

/**
 * Whether the browser suites can run. Without Chromium they are skipped with a printed reason,
 * except under STORYLOOM_REQUIRE_SERVICES=1 (CI), where a skip would hide a broken setup.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH or install chromium)`;
  if (requireServices) throw new Error(`STORYLOOM_REQUIRE_SERVICES=1 but ${reason}: the browser suites cannot be skipped`);
  console.warn(`[tests] skipping browser suites: ${reason}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds web/dist when it is missing or older than its sources (web/ or the SDK's src/). */
export async function ensureWebBuilt(): Promise<void> {
  const sources = Math.max(
    newestMtime(join(ROOT, 'web', 'src')),
    newestMtime(join(ROOT, 'web', 'index.html')),
    newestMtime(join(ROOT, 'web', 'dashboard.html')),
    newestMtime(join(ROOT, 'web', 'vite.config.ts')),
    newestMtime(join(ROOT, 'client-sdk', 'src')),
  );
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= sources) return;
  console.log('[tests] building web/dist (missing or older than web/src)');
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

/** Collects console errors and uncaught exceptions of a page; `take()` returns and clears them. */
export function captureErrors(page: Page, label: string): { take(): string[] } {
  let errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${label} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${label} pageerror: ${e.message}`));
  return {
    take() {
      const out = errors;
      errors = [];
      return out;
    },
  };
}
