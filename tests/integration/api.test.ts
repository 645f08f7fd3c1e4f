import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('REST basics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('answers /healthz and /readyz with the database check', async () => {
    expect(await (await fetch(`${t.httpUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: { database: 'ok', persistence: 'ok' },
      persistence: { status: 'ok', undurableDocuments: 0, pendingAppends: 0, pendingBytes: 0 },
      // Informational (docs/notifications.md): no SMTP_URL here, so email is not configured.
      notifications: { channels: expect.objectContaining({ in_app: { configured: true, detail: expect.any(String) }, email: expect.objectContaining({ configured: false }) }) },
    });
  });

  it('serves the OpenAPI document and the interactive docs', async () => {
    const doc = (await (await fetch(`${t.httpUrl}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/admin/users/{userId}/disconnect']));
    const docs = await fetch(`${t.httpUrl}/api/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/api/openapi.json');
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(text).toContain('storyloom_connections');
    expect(text).toContain('storyloom_durable_ack_seconds');
  });

  it('answers unknown routes with the error body', async () => {
    const res = await fetch(`${t.httpUrl}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not-found', message: 'No route for GET /api/nope', details: {} } });
  });

  describe('admin: close all connections of a user', () => {
    it('needs a token (401) and an admin token (403)', async () => {
      const url = `${t.httpUrl}/api/admin/users/alice/disconnect`;
      const anonymous = await fetch(url, { method: 'POST' });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const writer = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${await t.token('w', { p: 'owner' })}` } });
      expect(writer.status).toBe(403);
      expect(((await writer.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    });

    it('closes every socket of the user and no one else, also with the cookie', async () => {
      const doc = `p/${uniqueName('revoke')}`;
      const alice1 = connectClient(t.wsUrl, doc, await t.token('alice', { p: 'editor' }));
      const alice2 = connectClient(t.wsUrl, `p/${uniqueName('other')}`, await t.token('alice', { p: 'editor' }));
      const bob = connectClient(t.wsUrl, doc, await t.token('bob', { p: 'editor' }));
      await Promise.all([alice1.synced, alice2.synced, bob.synced]);
      const admin = await t.token('ops', {}, { admin: true });
      const res = await fetch(`${t.httpUrl}/api/admin/users/alice/disconnect`, {
        method: 'POST',
        headers: { cookie: `theme=dark; storyloom_session=${admin}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ userId: 'alice', closedSockets: 2 });
      expect(await alice1.closed).toEqual({ code: 4403, reason: 'access-revoked' });
      expect(await alice2.closed).toEqual({ code: 4403, reason: 'access-revoked' });
      await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.documents.get(doc)?.getConnectionsCount()).toBe(1));
      alice1.destroy();
      alice2.destroy();
      bob.destroy();
    });
  });
});

describe('feature flags', () => {
  it('answers 503 feature-disabled on the endpoints of a disabled feature', async () => {
    const t = await startTestServer({ REAL_TIME_TRACKING_ENABLED: 'false', WORKFLOW_AUTOMATION_ENABLED: 'false' });
    try {
      for (const path of ['/api/realtime/writing/sessions', '/api/realtime/collaboration/presence', '/api/workflows']) {
        const res = await fetch(`${t.httpUrl}${path}/x`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { error: { code: string; details: { variable: string } } };
        expect(body.error.code).toBe('feature-disabled');
        expect(body.error.details.variable).toMatch(/_ENABLED$/);
      }
    } finally {
      await t.cleanup();
    }
  });
});
