import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createChannelSocket, createClient, type StoryloomClient, type StoryloomError, type WebSocketConstructor, type WritingEvent, type WritingMetrics } from '../../client-sdk/src/index.js';
import { gatewayToken, startGatewayServer } from '../helpers/gateway-client.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 50 });

describe('SDK live channels (real server)', () => {
  let t: TestServer;
  const project = uniqueName('live').replace(/_/g, '-');
  const clients: StoryloomClient[] = [];
  let alice: StoryloomClient;
  let admin: StoryloomClient;
  const track = (c: StoryloomClient) => (clients.push(c), c);

  beforeAll(async () => {
    t = await startTestServer();
    alice = track(createClient({ url: t.httpUrl, getToken: () => t.token('alice', { [project]: 'owner' }) }));
    admin = track(createClient({ url: t.httpUrl, getToken: () => t.token('ops', {}, { admin: true }) }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.cleanup();
  });

  it('streams live writing.* events of a project, and nothing else', async () => {
    const events: WritingEvent[] = [];
    const unsubscribe = alice.writing.subscribe(project, (e) => events.push(e));
    await unsubscribe.ready;
    const session = await alice.writing.start(project, 'chapter-1');
    await alice.writing.keystrokes(session.id, [{ at: Date.now(), documentId: 'chapter-1', inserted: 40, deleted: 0, wordsAdded: 8 }]);
    await alice.writing.end(session.id);
    await eventually(() => expect(events.map((e) => e.type)).toContain('writing.session_ended'));
    expect(events.every((e) => e.type.startsWith('writing.') && e.projectId === project)).toBe(true);
    // A non-writing event on the same channel is filtered out.
    const before = events.length;
    await admin.api.broadcast({ path: 'analytics', channel: `project:${project}`, data: { id: 'x', type: 'publishing.status_changed', payload: {} } });
    await admin.api.broadcast({ path: 'analytics', channel: `project:${project}`, data: { id: 'y', type: 'writing.flow_entered', payload: {} } });
    await eventually(() => expect(events.at(-1)?.id).toBe('y'));
    expect(events.length).toBe(before + 1);
    unsubscribe();
  });

  it('streams the live writing.metrics of a project, typed, and nothing else', async () => {
    const metrics: WritingMetrics[] = [];
    const unsubscribe = alice.writing.onMetrics(project, (m) => metrics.push(m));
    await unsubscribe.ready;
    const session = await alice.writing.start(project, 'chapter-2');
    await alice.writing.keystrokes(session.id, [{ at: Date.now(), documentId: 'chapter-2', inserted: 60, deleted: 0, wordsAdded: 12 }]);
    await alice.writing.end(session.id);
    await eventually(() => expect(metrics.some((m) => m.sessionId === session.id && m.state === 'ended')).toBe(true));
    const last = metrics.filter((m) => m.sessionId === session.id).at(-1)!;
    // Exactly the fields the server pushes: a new server field shows up here first.
    expect(Object.keys(last).sort()).toEqual(['at', 'documents', 'kind', 'projectId', 'sessionId', 'state', 'totals', 'userId', 'wordsPerHour', 'wpm']);
    expect(last).toMatchObject({ kind: 'writing.metrics', userId: 'alice', projectId: project, documents: ['chapter-2'], totals: { netWords: 12 } });
    // Event envelopes on the same channel are not metrics.
    const before = metrics.length;
    await admin.api.broadcast({ path: 'analytics', channel: `project:${project}`, data: { id: 'z', type: 'writing.flow_entered', payload: {} } });
    await admin.api.broadcast({ path: 'analytics', channel: `project:${project}`, data: { ...last, sessionId: 'pushed-by-admin' } });
    await eventually(() => expect(metrics.at(-1)?.sessionId).toBe('pushed-by-admin'));
    expect(metrics.length).toBe(before + 1);
    unsubscribe();
  });

  it('re-subscribes after the server drops the socket (access revoked), with backoff', async () => {
    const received: unknown[] = [];
    const subscription = alice.notifications.subscribe((m) => received.push(m.data));
    await subscription.ready;
    await admin.api.broadcast({ path: 'notifications', channel: 'user:alice', data: { n: 1 } });
    await eventually(() => expect(received).toEqual([{ n: 1 }]));
    expect((await admin.api.disconnectUser('alice')).closedSockets).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      await admin.api.broadcast({ path: 'notifications', channel: 'user:alice', data: { n: 2 } });
      expect(received).toContainEqual({ n: 2 });
    });
    subscription();
  });

  it('reports a refused channel as a typed error', async () => {
    const errors: StoryloomError[] = [];
    const subscription = alice.writing.subscribe('someone-elses', () => undefined, { onError: (e) => errors.push(e) });
    await expect(subscription.ready).rejects.toMatchObject({ code: 'forbidden' });
    expect(errors[0]).toMatchObject({ code: 'forbidden', details: { channel: 'project:someone-elses' } });
    expect(() => alice.writing.subscribe('not a project', () => undefined)).toThrow(expect.objectContaining({ code: 'validation-failed' }));
  });
});

describe('SDK channel socket heartbeat watchdog', () => {
  it('replaces a socket that went silent and subscribes again', async () => {
    // Heartbeats every 10 minutes: to the client the socket looks dead after 300 ms of silence.
    const gateway = await startGatewayServer({ heartbeatMs: 600_000 });
    const token = await gatewayToken('u1', { p1: 'reader' });
    let opened = 0;
    const socket = createChannelSocket({
      url: async () => {
        opened++;
        return gateway.url('analytics', `token=${token}`);
      },
      WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor,
      refreshToken: async () => token,
      heartbeatTimeoutMs: 300,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    const seen: unknown[] = [];
    try {
      const subscription = socket.subscribe('project:p1', { onEvent: (data) => seen.push(data) });
      await subscription.ready;
      await eventually(() => expect(opened).toBeGreaterThanOrEqual(3));
      await eventually(async () => {
        await gateway.gateway.publish({ path: 'analytics', channel: 'project:p1', data: { hello: opened } });
        expect(seen.length).toBeGreaterThan(0);
      });
      subscription();
      expect(socket.state()).toBe('idle');
    } finally {
      socket.close();
      await gateway.close();
    }
  });
});
