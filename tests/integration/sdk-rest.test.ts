import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_ROUTES, createClient, StoryloomError, type StoryloomClient, type WritingSession } from '../../client-sdk/src/index.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('SDK REST client (real server)', () => {
  let t: TestServer;
  const project = uniqueName('rest').replace(/_/g, '-');
  const clients: StoryloomClient[] = [];
  let alice: StoryloomClient;
  let reader: StoryloomClient;

  const connect = (user: string, projects: Record<string, 'owner' | 'editor' | 'reader'>, admin = false) => {
    const client = createClient({ url: t.httpUrl, getToken: () => t.token(user, projects, { admin }) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestServer({ DEV_TOKENS: 'true' });
    alice = connect('alice', { [project]: 'owner' });
    reader = connect('rita', { [project]: 'reader' });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.cleanup();
  });

  it('has a method for every operation of /api/openapi.json, and no route the server does not document', async () => {
    const spec = (await (await fetch(`${t.httpUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.has(m)).map((m) => `${m.toUpperCase()} ${path}`));
    const sdk = Object.values(API_ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((op) => !sdk.includes(op)), 'operations without an SDK method').toEqual([]);
    expect(sdk.filter((op) => !documented.includes(op)), 'SDK routes the server does not document').toEqual([]);
  });

  it('runs a writing session through start, keystrokes, metrics, active and end', async () => {
    const started: WritingSession = await alice.writing.start(project, 'chapter-1');
    expect(started).toMatchObject({ userId: 'alice', projectId: project, live: true });
    const at = Date.now();
    const { accepted, session } = await alice.writing.keystrokes(started.id, [
      { at, documentId: 'chapter-1', inserted: 12, deleted: 0, wordsAdded: 2 },
      { at: new Date(at + 500).toISOString(), documentId: 'chapter-1', inserted: 6, deleted: 1, wordsAdded: 1 },
    ]);
    expect(accepted).toBe(2);
    expect(session.totals.wordsAdded).toBe(3);
    expect((await alice.writing.get(session.id)).id).toBe(session.id);
    expect((await alice.writing.active(project)).map((s) => s.id)).toContain(session.id);
    const ended = await alice.writing.end(session.id);
    expect(ended.state).toBe('ended');
    expect(ended.endReason).toBe('explicit');
  });

  it('reads goals, preferences, reports and metrics with typed results', async () => {
    const goal = await alice.api.setWritingGoal(project, { dailyWords: 500, timeZone: 'Europe/Paris' });
    expect(goal).toMatchObject({ userId: 'alice', dailyWords: 500, timeZone: 'Europe/Paris' });
    expect((await alice.api.getWritingGoal(project)).goal?.dailyWords).toBe(500);
    expect((await alice.api.getWritingPreferences()).userId).toBe('alice');
    const report = await alice.api.projectWritingReport(project, { tz: 'UTC' });
    expect(report.projectId).toBe(project);
    expect((await alice.api.bestHours(project, 'alice')).hours).toHaveLength(24);
    expect((await alice.api.liveness()).status).toBe('ok');
    expect((await alice.api.readiness()).status).toBe('ok');
    expect(Object.keys(await alice.api.eventSchemas())).toContain('writing.session_started');
    const dev = await alice.api.devToken({ user: 'visitor', name: 'Visitor' });
    expect(dev).toMatchObject({ projectId: 'demo', document: 'demo/chapter-1', user: { id: 'visitor', name: 'Visitor' } });
  });

  it('feeds REST presence and reads collaborators back', async () => {
    const name = `${project}/rest-doc`;
    await expect(alice.api.setRestCursor({ documentId: name, anchorBlock: 1, headBlock: 1 })).resolves.toEqual({ accepted: true });
    await alice.api.setRestPresence({ documentId: name, state: { editMode: 'typing', viewport: { fromBlock: 0, toBlock: 3 } } });
    await vi.waitFor(async () => {
      const view = await reader.api.collaborators(name);
      expect(view.collaborators.find((c) => c.userId === 'alice')).toMatchObject({ via: 'rest', block: 1, editMode: 'typing' });
    }, { timeout: 5_000, interval: 50 });
  });

  it('answers a typed StoryloomError for 403 and 404', async () => {
    const forbidden = (await reader.writing.start(project).catch((e: unknown) => e)) as StoryloomError;
    expect(forbidden).toBeInstanceOf(StoryloomError);
    expect(forbidden).toMatchObject({ code: 'forbidden', status: 403, details: { projectId: project } });
    const missing = (await alice.writing.get('no-such-session').catch((e: unknown) => e)) as StoryloomError;
    expect(missing).toMatchObject({ code: 'not-found', status: 404 });
    await expect(alice.api.collaborators(`${project}/nobody-here`)).rejects.toMatchObject({ code: 'not-found', status: 404 });
    await expect(alice.api.websocketStats()).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(alice.api.getWritingGoal('not a project')).rejects.toMatchObject({ code: 'validation-failed', status: 400 });
  });

  it('lets admin tokens use the admin routes', async () => {
    const admin = connect('ops', {}, true);
    expect(await admin.api.websocketStats()).toBeTypeOf('object');
    expect(await admin.api.disconnectUser('nobody')).toEqual({ userId: 'nobody', closedSockets: 0 });
    const page = await admin.api.listEvents('writing', { projectId: project, limit: 5 });
    expect(Array.isArray(page.items)).toBe(true);
  });

  it('maps an unreachable server to service-unavailable', async () => {
    const gone = createClient({ url: 'http://127.0.0.1:9', token: await t.token('alice', { [project]: 'owner' }) });
    await expect(gone.api.getWritingPreferences()).rejects.toMatchObject({ code: 'service-unavailable' });
    gone.destroy();
  });
});
