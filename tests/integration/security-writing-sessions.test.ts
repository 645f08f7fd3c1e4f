import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface View {
  id: string;
  projectId: string;
  totals: { wordsAdded: number };
}

/**
 * Issue 13, hole 1: the writing-session routes checked only the user id. A token whose role is
 * only in another project, or whose role in the session's project was lowered, must lose every
 * power over the session, on every call.
 */
describe('security: writing sessions check the role in the session’s project', () => {
  let t: TestServer;
  const secret = uniqueName('secret').replace(/_/g, '-');
  const demo = uniqueName('demo').replace(/_/g, '-');
  const alice = `alice-${secret}`;
  const base = '/api/realtime/writing/sessions';
  const tokens: Record<'writer' | 'demoOnly' | 'lowered' | 'revoked', string> = { writer: '', demoOnly: '', lowered: '', revoked: '' };

  beforeAll(async () => {
    t = await startTestServer();
    tokens.writer = await t.token(alice, { [secret]: 'editor', [demo]: 'editor' });
    tokens.demoOnly = await t.token(alice, { [demo]: 'editor' });
    tokens.lowered = await t.token(alice, { [secret]: 'reader', [demo]: 'editor' });
    tokens.revoked = await t.token(alice, {});
  });
  afterAll(async () => {
    await t.cleanup();
  });

  async function call<T = View>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }
  const stroke = { events: [{ at: Date.now(), documentId: 'draft', inserted: 600_000, deleted: 0, wordsAdded: 100_000 }] };

  it('refuses keystroke, end and resume without owner/editor in the session’s project, and hides the session', async () => {
    const started = await call('POST', `${base}/start`, tokens.writer, { projectId: secret });
    expect(started.status).toBe(201);
    const id = started.body.id;

    for (const name of ['demoOnly', 'lowered', 'revoked'] as const) {
      const token = tokens[name];
      expect((await call('POST', `${base}/${id}/keystroke`, token, stroke)).status, `${name} keystroke`).toBe(403);
      expect((await call('POST', `${base}/${id}/resume`, token)).status, `${name} resume`).toBe(403);
      expect((await call('POST', `${base}/${id}/end`, token)).status, `${name} end`).toBe(403);
    }
    for (const name of ['demoOnly', 'revoked'] as const) {
      const listed = await call<{ sessions: View[] }>('GET', `${base}/active`, tokens[name]);
      expect(listed.status).toBe(200);
      expect(listed.body.sessions.map((s) => s.id), `${name} active`).not.toContain(id);
    }
    // Without any role in the project the writer does not even see the session's numbers.
    expect((await call('GET', `${base}/${id}/metrics`, tokens.demoOnly)).status).toBe(403);
    // A reader there still sees their own numbers (the visibility rule), but changes nothing.
    expect((await call('GET', `${base}/${id}/metrics`, tokens.lowered)).status).toBe(200);

    const after = await call('GET', `${base}/${id}/metrics`, tokens.writer);
    expect(after.body.totals.wordsAdded).toBe(0);
    const active = await call<{ sessions: View[] }>('GET', `${base}/active`, tokens.writer);
    expect(active.body.sessions.map((s) => s.id)).toContain(id);
    expect((await call('POST', `${base}/${id}/end`, tokens.writer)).status).toBe(200);
  });
});
