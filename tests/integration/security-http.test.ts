import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/api/routes/health.js';
import { signToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/lib/logger.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Issue 13, holes 5-8 on the HTTP side: body limits, HEAD without a token, malformed cookies,
 * expired tokens, the readiness body, and aud/iss.
 */
describe('security: HTTP requests', () => {
  let t: TestServer;
  const project = uniqueName('sec').replace(/_/g, '-');
  let editor: string;
  let admin: string;

  beforeAll(async () => {
    t = await startTestServer({ MAX_BODY_BYTES: '65536' });
    editor = await t.token(`ed-${project}`, { [project]: 'editor' });
    admin = await t.token(`adm-${project}`, {}, { admin: true });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const post = (path: string, token: string, body: string) =>
    fetch(`${t.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  const padded = (value: object, bytes: number) => JSON.stringify({ ...value, pad: 'x'.repeat(bytes) });

  it('hole 5: refuses oversized bodies with 413 message-too-large, per route and globally', async () => {
    const cases: [string, string, string][] = [
      ['/api/realtime/writing/sessions/start', editor, padded({ projectId: project }, 16 * 1024)],
      ['/api/realtime/writing/sessions/some-id/keystroke', editor, padded({ events: [] }, 200 * 1024)],
      ['/api/realtime/websocket/broadcast', admin, padded({ channel: `project:${project}`, data: {} }, 65 * 1024)],
      // A route that declares no limit of its own gets MAX_BODY_BYTES.
      ['/api/admin/users/someone/disconnect', admin, padded({}, 70 * 1024)],
    ];
    for (const [path, token, body] of cases) {
      const res = await post(path, token, body);
      expect(res.status, path).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code, path).toBe('message-too-large');
    }
    // Under the limits the same routes answer as before.
    expect((await post('/api/realtime/writing/sessions/start', editor, JSON.stringify({ projectId: project }))).status).toBe(201);
  });

  it('hole 6: HEAD on the archive needs a token like GET (401, not 500)', async () => {
    for (const method of ['HEAD', 'GET']) {
      const res = await fetch(`${t.httpUrl}/api/realtime/events/writing?projectId=${project}`, { method });
      expect(res.status, method).toBe(401);
    }
    const head = await fetch(`${t.httpUrl}/api/realtime/events/writing?projectId=${project}`, { method: 'HEAD', headers: { authorization: `Bearer ${editor}` } });
    expect(head.status).toBe(200);
  });

  it('hole 7: a malformed session cookie is no token (401), never a 500', async () => {
    for (const cookie of ['storyloom_session=%E0%A4%A', 'storyloom_session=%', 'storyloom_session=%zz; other=1']) {
      const res = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/active`, { headers: { cookie } });
      expect(res.status, cookie).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe('unauthorized');
    }
  });

  it('hole 8: a token past exp is refused at once (no 30 s leeway on REST)', async () => {
    const expired = await t.token(`ed-${project}`, { [project]: 'editor' }, { expiresInSeconds: -5 });
    const res = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/active`, { headers: { authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);
  });

  it('hole 8: /readyz says only ok or down per dependency', async () => {
    const res = await fetch(`${t.httpUrl}/readyz`);
    expect(res.status).toBe(200);
    // persistence: whether edits are stored; a failure shows its class (ENOSPC), never its text.
    // notifications: whether each delivery channel is configured (informational, never unready).
    expect(await res.json()).toEqual({
      status: 'ok',
      checks: { database: 'ok', persistence: 'ok' },
      persistence: { status: 'ok', undurableDocuments: 0, pendingAppends: 0, pendingBytes: 0 },
      notifications: { channels: expect.objectContaining({ in_app: { configured: true, detail: expect.any(String) } }) },
    });

    const app = healthRoutes({
      checks: { database: async () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2')) },
      accepting: () => true,
      logger: createLogger({ level: 'silent' }),
    });
    const down = await app.request('/readyz');
    expect(down.status).toBe(503);
    const text = await down.text();
    expect(JSON.parse(text)).toEqual({ status: 'fail', checks: { database: 'down' } });
    expect(text).not.toContain('ECONNREFUSED');

    // Redis alone down: still serving its own clients, so 200 degraded (load balancers keep it).
    const degraded = healthRoutes({
      checks: { database: async () => {}, redis: async () => Promise.reject(new Error('ECONNREFUSED')) },
      degradedOnly: ['redis'],
      accepting: () => true,
      logger: createLogger({ level: 'silent' }),
    });
    const res2 = await degraded.request('/readyz');
    expect(res2.status).toBe(200);
    expect(await res2.json()).toEqual({ status: 'degraded', checks: { database: 'ok', redis: 'down' } });
  });
});

describe('security: AUTH_ISSUER and AUTH_AUDIENCE', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ AUTH_ISSUER: 'https://auth.example', AUTH_AUDIENCE: 'storyloom' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const active = (token: string) => fetch(`${t.httpUrl}/api/realtime/writing/sessions/active`, { headers: { authorization: `Bearer ${token}` } });

  it('hole 8: refuses tokens without the configured iss/aud and accepts tokens that carry them', async () => {
    const bare = await signToken(TEST_SECRET, { userId: 'u1', name: 'U' });
    expect((await active(bare)).status).toBe(401);
    const wrong = await signToken(TEST_SECRET, { userId: 'u1', name: 'U', issuer: 'https://other.example', audience: 'storyloom' });
    expect((await active(wrong)).status).toBe(401);
    const right = await signToken(TEST_SECRET, { userId: 'u1', name: 'U', issuer: 'https://auth.example', audience: 'storyloom' });
    expect((await active(right)).status).toBe(200);
    // The test helper mints like `npm run token`: with the server's iss/aud.
    expect((await active(await t.token('u2', {}))).status).toBe(200);
  });
});
