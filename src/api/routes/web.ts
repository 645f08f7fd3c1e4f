import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context } from 'hono';
import type { ApiApp } from '../context.js';

export interface WebRoutesDeps {
  /** The Vite build of web/ (`npm run build:web`); checked per request so a build after start is served. */
  distDir: string;
}

/** Vite names every file under assets/ by its content hash, so a cached copy never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Pages are tiny and name the current hashed bundles: always revalidate them. */
const NO_CACHE = 'no-cache';

const PAGES = { '/': 'index.html', '/dashboard': 'dashboard.html' } as const;

/**
 * The demo web app (`/`) and project dashboard (`/dashboard`), from the Vite build. Only these
 * two pages, `/assets/*` and `/favicon.svg` are claimed, so `/api/*`, `/healthz`, `/readyz`,
 * `/metrics` and the WebSocket paths (upgrades never reach Hono) are untouched. Without a
 * build the pages explain how to make one instead of failing.
 */
export function registerWebRoutes(app: ApiApp, deps: WebRoutesDeps): void {
  const { distDir } = deps;

  for (const [route, file] of Object.entries(PAGES)) {
    const page = serveStatic({ root: distDir, path: file, onFound: (_path, c) => void c.header('Cache-Control', NO_CACHE) });
    app.get(route, async (c, next) => {
      if (!existsSync(join(distDir, file))) return notBuilt(c, file);
      return page(c, next);
    });
  }

  const asset = (cacheControl: string) => serveStatic({ root: distDir, onFound: (_path, c) => void c.header('Cache-Control', cacheControl) });
  app.get('/assets/*', asset(IMMUTABLE));
  app.get('/favicon.svg', asset(NO_CACHE));
}

function notBuilt(c: Context, file: string): Response {
  c.header('Cache-Control', NO_CACHE);
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Storyloom</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Storyloom is running</h1>
<p>The demo web app has not been built yet (<code>web/dist/${file}</code> is missing). Build it with</p>
<p><code>npm run build:web</code></p>
<p>and reload this page. Meanwhile: collaboration at <code>ws(s)://&lt;host&gt;/collaboration</code>, API docs at <a href="/api/docs">/api/docs</a>.</p>
</body></html>`,
    200,
  );
}
