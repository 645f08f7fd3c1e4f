import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const sdk = (file: string) => here(`../client-sdk/src/${file}`);
/** The server the dev server (`vite --config web/vite.config.ts`) proxies to. */
const target = 'http://127.0.0.1:8080';

/**
 * Two pages (the demo at / and the dashboard at /dashboard), built into web/dist and served by
 * the Storyloom server itself (src/api/routes/web.ts). `@storyloom/client` points at the SDK's
 * TypeScript sources, so building the demo never needs a prior SDK build.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  logLevel: 'info',
  resolve: {
    alias: [
      ...(existsSync(sdk('tiptap.ts')) ? [{ find: /^@storyloom\/client\/tiptap$/, replacement: sdk('tiptap.ts') }] : []),
      { find: /^@storyloom\/client$/, replacement: sdk('index.ts') },
      // The one editor schema (extensions + fragment name), shared with the server: docs/export.md.
      { find: /^@storyloom\/schema$/, replacement: here('../src/manuscript/schema.ts') },
    ],
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    rolldownOptions: { input: { index: here('index.html'), dashboard: here('dashboard.html') } },
  },
  server: {
    proxy: {
      '/api': target,
      '/ws': { target, ws: true },
      '/collaboration': { target, ws: true },
    },
  },
});
