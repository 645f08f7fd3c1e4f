import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto, type TestServer } from '../helpers/test-server.js';

interface View {
  id: string;
  userId: string;
  projectId: string;
  state: string;
  endReason: string | null;
  wpm: number;
  totals: { netWords: number; wordsAdded: number; edits: number; pastedWords: number; chars: number };
  documents: string[];
  live: boolean;
}
interface ErrorBody {
  error: { code: string; message: string; details: { issues?: { path: string; message: string }[] } };
}

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

const backends = [{ name: 'memory', env: {} as Record<string, string> }];
if (serviceAvailable('redis')) backends.push({ name: 'Redis', env: { REDIS_URL: redisUrl! } });

describe.each(backends)('writing sessions REST API ($name live store)', ({ env }) => {
  let t: TestServer;
  const project = uniqueName('ws').replace(/_/g, '-');
  const base = '/api/realtime/writing/sessions';
  const tokens: Record<string, string> = {};
  const events: StoryloomEvent[] = [];
  // Unique user ids: a writer's live sessions are listed per user, and Redis outlives test runs.
  const id = (name: string) => `${name}-${project}`;

  beforeAll(async () => {
    t = await startTestServer(env);
    tokens.alice = await t.token(id('alice'), { [project]: 'editor' });
    tokens.bob = await t.token(id('bob'), { [project]: 'editor' });
    tokens.olga = await t.token(id('olga'), { [project]: 'owner' });
    tokens.rita = await t.token(id('rita'), { [project]: 'reader' });
    tokens.omar = await t.token(id('omar'), { [project]: 'editor' });
    tokens.stranger = await t.token(id('stranger'), {});
    t.server.bus.subscribe({
      group: uniqueName('sessions-api'),
      categories: ['writing'],
      async handle(event) {
        if (event.projectId === project) events.push(event);
      },
    });
  });
  afterAll(async () => {
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  async function call<T = View>(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${t.httpUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }
  const keystrokes = (n: number, from = Date.now() - 20_000) =>
    Array.from({ length: n }, (_, i) => ({ at: i % 2 === 0 ? from + i * 100 : new Date(from + i * 100).toISOString(), documentId: 'draft', inserted: 6, deleted: 0, wordsAdded: 1 }));

  it('starts a session (idle until the first edit) and returns the same one while it is open', async () => {
    const first = await call('POST', `${base}/start`, tokens.alice!, { projectId: project, documentId: 'draft' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ userId: id('alice'), projectId: project, state: 'idle', live: true, totals: { netWords: 0 } });
    const again = await call('POST', `${base}/start`, tokens.alice!, { projectId: project });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('feeds keystroke batches into the model, and Yjs edits of the same writer into the same session', async () => {
    const { body: session } = await call('POST', `${base}/start`, tokens.alice!, { projectId: project });
    const res = await call<{ accepted: number; session: View }>('POST', `${base}/${session.id}/keystroke`, tokens.alice!, { events: keystrokes(40) });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(40);
    expect(res.body.session).toMatchObject({ id: session.id, state: 'warming_up', totals: { netWords: 40, wordsAdded: 40, edits: 40, chars: 240 }, documents: ['draft'] });
    expect(res.body.session.wpm).toBeGreaterThan(0);
    // A pasted batch counts toward the totals, never toward pace.
    const paste = await call<{ session: View }>('POST', `${base}/${session.id}/keystroke`, tokens.alice!, {
      events: [{ at: Date.now(), documentId: 'draft', inserted: 400, deleted: 0, wordsAdded: 60, paste: true }],
    });
    expect(paste.body.session.totals).toMatchObject({ netWords: 100, pastedWords: 60 });

    const alice = connectClient(t.wsUrl, `${project}/chapter-9`, tokens.alice!);
    await alice.synced;
    for (const ch of 'two words') typeInto(alice.ydoc, ch);
    await eventually(async () => {
      const metrics = await call('GET', `${base}/${session.id}/metrics`, tokens.alice!);
      expect(metrics.body).toMatchObject({ totals: { netWords: 102 }, documents: ['draft', 'chapter-9'] });
    });
    alice.destroy();
    await eventually(() => expect(events.filter((e) => e.type === 'writing.session_started')).toHaveLength(1));
  });

  it('lets writers see their own sessions and project owners the whole project', async () => {
    const { body: session } = await call('POST', `${base}/start`, tokens.alice!, { projectId: project });
    expect((await call('GET', `${base}/${session.id}/metrics`, tokens.olga!)).status).toBe(200);
    const denied = await call<ErrorBody>('GET', `${base}/${session.id}/metrics`, tokens.bob!);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    // Owners may look, but only the writer changes a session.
    expect((await call('POST', `${base}/${session.id}/end`, tokens.olga!)).status).toBe(403);
    expect((await call('POST', `${base}/${session.id}/keystroke`, tokens.bob!, { events: keystrokes(1) })).status).toBe(403);

    const own = await call<{ sessions: View[] }>('GET', `${base}/active`, tokens.alice!);
    expect(own.body.sessions.map((s) => s.id)).toEqual([session.id]);
    const project_ = await call<{ sessions: View[] }>('GET', `${base}/active?projectId=${project}`, tokens.olga!);
    expect(project_.body.sessions.map((s) => s.userId)).toEqual([id('alice')]);
    const bobsView = await call<{ sessions: View[] }>('GET', `${base}/active?projectId=${project}`, tokens.bob!);
    expect(bobsView.body.sessions).toEqual([]);
    expect((await call('GET', `${base}/active?projectId=${project}`, tokens.stranger!)).status).toBe(403);
  });

  it('resumes and ends a session; an ended session is read from storage and refuses more input', async () => {
    const { body: session } = await call('POST', `${base}/start`, tokens.alice!, { projectId: project });
    const resumed = await call('POST', `${base}/${session.id}/resume`, tokens.alice!);
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('warming_up');
    const ended = await call('POST', `${base}/${session.id}/end`, tokens.alice!);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: session.id, state: 'ended', endReason: 'explicit', totals: { netWords: 102 } });
    expect((await call('POST', `${base}/${session.id}/end`, tokens.alice!)).body.state).toBe('ended'); // idempotent
    const late = await call<ErrorBody>('POST', `${base}/${session.id}/keystroke`, tokens.alice!, { events: keystrokes(1, Date.now()) });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('conflict');
    expect((await call('POST', `${base}/${session.id}/resume`, tokens.alice!)).status).toBe(409);
    const stored = await call('GET', `${base}/${session.id}/metrics`, tokens.alice!);
    expect(stored.body).toMatchObject({ state: 'ended', totals: { netWords: 102 } });
    expect((await call<{ sessions: View[] }>('GET', `${base}/active`, tokens.alice!)).body.sessions).toEqual([]);
    await eventually(() => {
      const endedEvent = events.find((e) => e.type === 'writing.session_ended');
      expect(endedEvent?.payload).toMatchObject({ sessionId: session.id, netWords: 102, wordsAdded: 102, reason: 'explicit' });
    });
    // The next start is a new session; ending it before any edit closes it without a trace.
    const next = await call('POST', `${base}/start`, tokens.alice!, { projectId: project });
    expect(next.status).toBe(201);
    expect(next.body.id).not.toBe(session.id);
    expect((await call('POST', `${base}/${next.body.id}/end`, tokens.alice!)).body).toMatchObject({ state: 'ended', startedAt: null });
    expect((await call<{ sessions: View[] }>('GET', `${base}/active`, tokens.alice!)).body.sessions).toEqual([]);
    expect(events.filter((e) => e.type === 'writing.session_started')).toHaveLength(1);
  });

  it('refuses bad input with details', async () => {
    const { body: session } = await call('POST', `${base}/start`, tokens.bob!, { projectId: project });
    const cases: [unknown, string][] = [
      [{}, 'events'],
      [{ events: [] }, 'events'],
      [{ events: keystrokes(1001) }, 'events'],
      [{ events: [{ at: Date.now(), documentId: 'bad id!', inserted: 1, deleted: 0 }] }, 'events.0.documentId'],
      [{ events: [{ at: Date.now(), documentId: 'd', inserted: -1, deleted: 0 }] }, 'events.0.inserted'],
      [{ events: [{ at: 'yesterday', documentId: 'd', inserted: 1, deleted: 0 }] }, 'events.0.at'],
      [{ events: [{ documentId: 'd', inserted: 1, deleted: 0 }] }, 'events.0.at'],
      [{ events: [{ at: Date.now(), documentId: 'd', inserted: 1, deleted: 0, wordsAdded: 1.5 }] }, 'events.0.wordsAdded'],
      [{ events: [...keystrokes(2), { at: Date.now() + 3_600_000, documentId: 'd', inserted: 1, deleted: 0 }] }, 'events.2.at'],
    ];
    for (const [body, path] of cases) {
      const res = await call<ErrorBody>('POST', `${base}/${session.id}/keystroke`, tokens.bob!, body);
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.body.error.code).toBe('validation-failed');
      expect(res.body.error.details.issues?.map((i) => i.path)).toContain(path);
    }
    expect((await call<ErrorBody>('POST', `${base}/${session.id}/keystroke`, tokens.bob!, '{"events": [')).status).toBe(400);
    // Nothing of the refused batches reached the model.
    expect((await call('GET', `${base}/${session.id}/metrics`, tokens.bob!)).body.totals.edits).toBe(0);

    expect((await call<ErrorBody>('POST', `${base}/start`, tokens.bob!, { documentId: 'x' })).body.error.details.issues?.[0]?.path).toBe('projectId');
    expect((await call('POST', `${base}/start`, tokens.rita!, { projectId: project })).status).toBe(403);
    expect((await call('POST', `${base}/start`, null, { projectId: project })).status).toBe(401);
    for (const [method, suffix] of [['GET', 'metrics'], ['POST', 'end'], ['POST', 'resume']] as const) {
      const res = await call<ErrorBody>(method, `${base}/no-such-session/${suffix}`, tokens.bob!);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not-found');
    }
    expect((await call('POST', `${base}/no-such-session/keystroke`, tokens.bob!, { events: keystrokes(1) })).status).toBe(404);
    expect((await call('GET', `${base}/bad%20id/metrics`, tokens.bob!)).status).toBe(400);
  });

  it('refuses to start a session for a writer who opted out', async () => {
    await t.server.database.writing.setPreferences({ userId: id('omar'), analyticsOptOut: true, timeZone: 'UTC' });
    const res = await call<ErrorBody>('POST', `${base}/start`, tokens.omar!, { projectId: project });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/opted out/);
  });

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.httpUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths[`${base}/start`]!)).toEqual(['post']);
    for (const suffix of ['keystroke', 'end', 'resume']) expect(Object.keys(doc.paths[`${base}/{id}/${suffix}`]!)).toEqual(['post']);
    expect(Object.keys(doc.paths[`${base}/{id}/metrics`]!)).toEqual(['get']);
    expect(Object.keys(doc.paths[`${base}/active`]!)).toEqual(['get']);
  });
});

describe.runIf(redisUrl)('writing sessions shared by two instances through Redis', () => {
  it('lets another instance read and continue a session, and the first one let go of it', async () => {
    const a = await startTestServer({ REDIS_URL: redisUrl!, WRITING_FLUSH_MS: '100' });
    const b = await startTestServer({ REDIS_URL: redisUrl!, WRITING_FLUSH_MS: '100' });
    try {
      const project = uniqueName('two').replace(/_/g, '-');
      const token = await a.token('alice', { [project]: 'editor' });
      const call = async (t: TestServer, method: string, path: string, body?: unknown) => {
        const res = await fetch(`${t.httpUrl}/api/realtime/writing/sessions${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as View & { session: View } };
      };
      const batch = () => ({ events: Array.from({ length: 5 }, (_, i) => ({ at: Date.now() - 1_000 + i, documentId: 'draft', inserted: 5, deleted: 0, wordsAdded: 1 })) });
      const { body: started } = await call(a, 'POST', '/start', { projectId: project });
      await call(a, 'POST', `/${started.id}/keystroke`, batch());
      // B reads the live state A keeps in Redis.
      await eventually(async () => expect((await call(b, 'GET', `/${started.id}/metrics`)).body.totals.netWords).toBe(5));
      // B takes the session over; A notices at its next tick and lets go.
      const continued = await call(b, 'POST', `/${started.id}/keystroke`, batch());
      expect(continued.body.session).toMatchObject({ id: started.id, totals: { netWords: 10 } });
      await a.server.writing!.tick();
      await eventually(async () => expect((await call(a, 'GET', `/${started.id}/metrics`)).body.totals.netWords).toBe(10));
      const active = await a.server.writing!.activeSessions({ projectId: project });
      expect(active.map((s) => [s.id, s.totals.netWords])).toEqual([[started.id, 10]]);
      const ended = await call(b, 'POST', `/${started.id}/end`);
      expect(ended.body).toMatchObject({ state: 'ended', totals: { netWords: 10 } });
      expect(await a.server.writing!.activeSessions({ projectId: project })).toEqual([]);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

describe('writing sessions with REAL_TIME_TRACKING_ENABLED=false', () => {
  it('installs no tracker, starts no service, and answers 503 on the routes', async () => {
    const t = await startTestServer({ REAL_TIME_TRACKING_ENABLED: 'false' });
    try {
      const project = uniqueName('off').replace(/_/g, '-');
      const token = await t.token('alice', { [project]: 'editor' });
      expect(t.server.writing).toBeUndefined();
      const names = t.server.collaboration.hocuspocus.configuration.extensions.map((e) => e.extensionName);
      expect(names).not.toContain('storyloom-writing-tracker');
      const res = await fetch(`${t.httpUrl}/api/realtime/writing/sessions/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: project }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as ErrorBody).error.code).toBe('feature-disabled');
    } finally {
      await t.cleanup();
    }
  });
});
