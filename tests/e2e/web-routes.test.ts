import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebRoutes } from '../../src/api/routes/web.js';
import type { ApiEnv } from '../../src/api/context.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

/** The HTTP side of the demo: dev tokens (never in production) and the static pages. */
describe('dev token and web routes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ DEV_TOKENS: 'true' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('mints an editor token for the demo project that the API accepts', async () => {
    const res = await fetch(`${t.httpUrl}/api/dev/token?user=alice&name=Alice%20Hart`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { id: string; name: string; color: string }; projectId: string; document: string; expiresAt: string };
    expect(body).toMatchObject({ user: { id: 'alice', name: 'Alice Hart' }, projectId: 'demo', document: 'demo/chapter-1' });
    expect(body.user.color).toMatch(/^#[0-9a-f]{6}$/);
    const hours = (Date.parse(body.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
    const sessions = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/active?projectId=demo`, { headers: { authorization: `Bearer ${body.token}` } });
    expect(sessions.status).toBe(200);
    const spec = (await (await fetch(`${t.httpUrl}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(spec.paths['/api/dev/token']).toBeDefined();
  });

  it.each(['', 'a b', 'x'.repeat(65), 'ümlaut'])('refuses user %j with validation-failed', async (user) => {
    const res = await fetch(`${t.httpUrl}/api/dev/token?user=${encodeURIComponent(user)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation-failed');
  });

  it('serves the pages without shadowing the API, health or metrics', async () => {
    for (const path of ['/', '/dashboard']) {
      const res = await fetch(`${t.httpUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/metrics`)).headers.get('content-type')).toContain('text/plain');
    const missing = await fetch(`${t.httpUrl}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });

  it('has no dev token route in production', async () => {
    const prod = await startTestServer({ NODE_ENV: 'production', AUTH_SECRET: TEST_SECRET });
    try {
      const res = await fetch(`${prod.httpUrl}/api/dev/token?user=alice`);
      expect(res.status).toBe(404);
    } finally {
      await prod.cleanup();
    }
  });
});

describe('web routes without and with a build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storyloom-web-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const app = () => {
    const a = new OpenAPIHono<ApiEnv>();
    registerWebRoutes(a, { distDir: dir });
    return a;
  };

  it('explains how to build when web/dist is missing', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build:web');
  });

  it('serves pages with no-cache and hashed assets as immutable', async () => {
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>demo</title>');
    await writeFile(join(dir, 'dashboard.html'), '<!doctype html><title>dashboard</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const a = app();
    expect(await (await a.request('/')).text()).toContain('<title>demo</title>');
    expect(await (await a.request('/dashboard')).text()).toContain('<title>dashboard</title>');
    const asset = await a.request('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await a.request('/assets/../index.html')).status).toBe(404);
  });
});
