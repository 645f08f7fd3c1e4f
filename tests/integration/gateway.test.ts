import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { GatewayPath } from '../../src/gateway/gateway.js';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import { gatewayFixtures, gatewayToken, refusedUpgrade, type GatewayTestClient } from '../helpers/gateway-client.js';
import { uniqueName } from '../helpers/services.js';

const { gatewayServer, client } = gatewayFixtures();

const isEvent = (channel: string, predicate: (data: Record<string, unknown>) => boolean = () => true) => (m: ServerMessage) =>
  m.type === 'event' && m.channel === channel && predicate(m.data as Record<string, unknown>);

const events = (c: GatewayTestClient, channel: string) =>
  c.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event' && m.channel === channel).map((m) => m.data as Record<string, unknown>);

describe('gateway channels', () => {
  for (const path of ['analytics', 'notifications', 'presence'] as const satisfies readonly GatewayPath[]) {
    it(`subscribes, receives and unsubscribes on /ws/${path}`, async () => {
      const server = await gatewayServer();
      const project = uniqueName('p');
      const token = await gatewayToken('alice', { [project]: 'reader' });
      const c = await client(server.url(path), { headers: { authorization: `Bearer ${token}` } });

      expect(await c.subscribe(`project:${project}`)).toEqual({ type: 'subscribed', channel: `project:${project}` });
      expect(await c.subscribe('user:alice')).toEqual({ type: 'subscribed', channel: 'user:alice' });
      await server.gateway.publish({ path, channel: `project:${project}`, data: { n: 1 } });
      expect(await c.next(isEvent(`project:${project}`))).toEqual({ type: 'event', channel: `project:${project}`, data: { n: 1 } });

      const from = c.messages.length;
      c.send({ type: 'unsubscribe', channel: `project:${project}` });
      await c.next((m) => m.type === 'unsubscribed', from);
      await server.gateway.publish({ path, channel: `project:${project}`, data: { n: 2 } });
      // Frames arrive in order: once the later marker is here, the unsubscribed event is not coming.
      await server.gateway.publish({ channel: 'user:alice', data: { marker: true } });
      await c.next(isEvent('user:alice'));
      expect(events(c, `project:${project}`)).toEqual([{ n: 1 }]);
    });
  }

  it('keeps paths apart: a publish for one path does not reach the others', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('bob', { p1: 'editor' });
    const analytics = await client(server.url('analytics', `token=${token}`));
    const presence = await client(server.url('presence', `token=${token}`));
    await analytics.subscribe('project:p1');
    await presence.subscribe('project:p1');
    await server.gateway.publish({ path: 'presence', channel: 'project:p1', data: { only: 'presence' } });
    await server.gateway.publish({ channel: 'project:p1', data: { all: true } });
    await analytics.next(isEvent('project:p1', (d) => d.all === true));
    await presence.next(isEvent('project:p1', (d) => d.all === true));
    expect(events(analytics, 'project:p1')).toEqual([{ all: true }]);
    expect(events(presence, 'project:p1')).toEqual([{ only: 'presence' }, { all: true }]);
  });

  it('refuses a project channel without a role, and the socket keeps working', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('outsider', { mine: 'reader' });
    const c = await client(server.url('analytics', `token=${token}`));
    const refused = await c.subscribe('project:theirs');
    expect(refused).toMatchObject({ type: 'error', code: 'forbidden', channel: 'project:theirs' });
    expect((refused as { message: string }).message).toMatch(/no role in project theirs/);
    expect(await c.subscribe('project:mine')).toEqual({ type: 'subscribed', channel: 'project:mine' });
    await server.gateway.publish({ channel: 'project:theirs', data: { secret: true } });
    await server.gateway.publish({ channel: 'project:mine', data: { ok: true } });
    await c.next(isEvent('project:mine'));
    expect(events(c, 'project:theirs')).toEqual([]);
  });

  it('opens user channels only to that user', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('carol@example.com');
    const c = await client(server.url('notifications', `token=${encodeURIComponent(token)}`));
    expect(await c.subscribe('user:dave')).toMatchObject({ type: 'error', code: 'forbidden', channel: 'user:dave' });
    expect(await c.subscribe('user:carol@example.com')).toEqual({ type: 'subscribed', channel: 'user:carol@example.com' });
    await server.gateway.publish({ path: 'notifications', channel: 'user:carol@example.com', data: { hi: 1 } });
    await c.next(isEvent('user:carol@example.com'));
  });

  it('needs a role in the project for document channels, and rejects bad channel names', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('erin', { p1: 'reviewer' });
    const c = await client(server.url('presence', `token=${token}`));
    expect(await c.subscribe('document:p2/d1')).toMatchObject({ type: 'error', code: 'forbidden', channel: 'document:p2/d1' });
    for (const bad of ['document:p1', 'document:p1/', 'project:', 'project:a b', 'user:', 'team:p1', `project:${'x'.repeat(65)}`]) {
      expect(await c.subscribe(bad)).toMatchObject({ type: 'error', code: 'validation-failed', channel: bad });
    }
    expect(await c.subscribe('document:p1/d1')).toEqual({ type: 'subscribed', channel: 'document:p1/d1' });
    await server.gateway.publish({ channel: 'document:p1/d1', data: { cursor: 3 } });
    expect(await c.next(isEvent('document:p1/d1'))).toMatchObject({ data: { cursor: 3 } });
    await expect(server.gateway.publish({ channel: 'nope', data: {} })).rejects.toMatchObject({ code: 'validation-failed' });
  });

  it('answers malformed JSON, unknown types and binary frames with invalid-message and keeps serving', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('frank', { p1: 'owner' });
    const c = await client(server.url('analytics', `token=${token}`));
    for (const bad of ['{not json', '[]', '"hello"', JSON.stringify({ type: 'shout', channel: 'project:p1' }), JSON.stringify({ type: 'subscribe' })]) {
      const from = c.messages.length;
      c.send(bad);
      expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ type: 'error', code: 'invalid-message' });
    }
    const from = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ code: 'invalid-message', message: expect.stringMatching(/Binary/) });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    expect(await c.subscribe('project:p1')).toEqual({ type: 'subscribed', channel: 'project:p1' });
  });

  it('answers ping with pong, echoing the id', async () => {
    const server = await gatewayServer();
    const c = await client(server.url('presence', `token=${await gatewayToken('gina')}`));
    c.send({ type: 'ping', id: 'abc' });
    expect(await c.next((m) => m.type === 'pong')).toEqual({ type: 'pong', id: 'abc' });
    const from = c.messages.length;
    c.send({ type: 'ping' });
    expect(await c.next((m) => m.type === 'pong', from)).toEqual({ type: 'pong' });
  });

  it('closes a socket that sends a frame over maxPayload with 1009', async () => {
    const server = await gatewayServer({ maxMessageBytes: 1024 });
    const c = await client(server.url('presence', `token=${await gatewayToken('hal')}`));
    c.send({ type: 'ping', id: 'x'.repeat(2048) });
    expect((await c.closed).code).toBe(1009);
  });
});

describe('gateway authentication', () => {
  it('refuses an upgrade without a valid token with HTTP 401', async () => {
    const server = await gatewayServer();
    const none = await refusedUpgrade(server.url('analytics'));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await refusedUpgrade(server.url('analytics', 'token=garbage'))).status).toBe(401);
    const expired = await gatewayToken('ivy', {}, { expiresInSeconds: 1, nowMs: Date.now() - 10_000 });
    expect((await refusedUpgrade(server.url('analytics', `token=${expired}`))).status).toBe(401);
    expect((await refusedUpgrade(`ws://127.0.0.1:${server.port}/ws/other?token=${await gatewayToken('ivy')}`)).status).toBe(404);
    expect(server.gateway.stats().connections).toEqual({ analytics: 0, notifications: 0, presence: 0 });
  });

  it('accepts the token from ?token=, a Bearer header and the session cookie', async () => {
    const server = await gatewayServer();
    const token = await gatewayToken('jack', { p1: 'reader' });
    const viaQuery = await client(server.url('analytics', `token=${token}`));
    const viaBearer = await client(server.url('notifications'), { headers: { authorization: `Bearer ${token}` } });
    const viaCookie = await client(server.url('presence'), { headers: { cookie: `theme=dark; storyloom_session=${token}` } });
    for (const c of [viaQuery, viaBearer, viaCookie]) {
      expect(await c.subscribe('user:jack')).toEqual({ type: 'subscribed', channel: 'user:jack' });
    }
    expect(server.gateway.stats().connections).toEqual({ analytics: 1, notifications: 1, presence: 1 });
  });

  it('closes the socket with 4401 when the token expires', async () => {
    const server = await gatewayServer();
    const c = await client(server.url('analytics', `token=${await gatewayToken('kate', {}, { expiresInSeconds: 2 })}`));
    expect(await c.subscribe('user:kate')).toMatchObject({ type: 'subscribed' });
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(c.messages.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
    await vi.waitFor(() => expect(server.gateway.stats().connections.analytics).toBe(0));
  });
  it('disconnects one user on request and leaves the others connected', async () => {
    const server = await gatewayServer();
    const revoked = await client(server.url('notifications', `token=${await gatewayToken('rita')}`));
    const other = await client(server.url('notifications', `token=${await gatewayToken('sam')}`));
    expect(server.gateway.disconnectUser('rita', 4403, 'access-revoked')).toBe(1);
    expect(await revoked.closed).toEqual({ code: 4403, reason: 'access-revoked' });
    expect(await other.subscribe('user:sam')).toMatchObject({ type: 'subscribed' });
  });
});

describe('gateway liveness and backpressure', () => {
  it('sends heartbeats and terminates a socket that stops answering pings', async () => {
    const server = await gatewayServer({ heartbeatMs: 100 });
    const token = await gatewayToken('liam');
    const healthy = await client(server.url('presence', `token=${token}`));
    const dead = await client(server.url('presence', `token=${token}`), { autoPong: false });
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    await healthy.next((m) => m.type === 'heartbeat' && typeof m.at === 'string', 0);
    // The healthy client outlives several more heartbeat periods.
    const heartbeats = () => healthy.messages.filter((m) => m.type === 'heartbeat').length;
    const seen = heartbeats();
    await vi.waitFor(() => expect(heartbeats()).toBeGreaterThan(seen + 3));
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    await vi.waitFor(() => expect(server.gateway.stats().connections.presence).toBe(1));
  });

  it('bounds a slow reader: drops the oldest frames, counts them, then delivers the newest', async () => {
    const maxBufferedBytes = 64 * 1024;
    const server = await gatewayServer({ maxBufferedBytes });
    const token = await gatewayToken('mia', { p1: 'reader' });
    const slow = await client(server.url('analytics', `token=${token}`));
    await slow.subscribe('project:p1');
    const raw = (slow.ws as unknown as { _socket: Socket })._socket;
    raw.pause();

    const pad = 'x'.repeat(32 * 1024);
    const frameBytes = Buffer.byteLength(JSON.stringify({ type: 'event', channel: 'project:p1', data: { seq: 0, pad } })) + 16;
    let seq = 0;
    let maxHeld = 0;
    // Publish until the kernel's socket buffers are full and the gateway has dropped plenty;
    // how much the kernel absorbs first depends on the machine, so this does not count on it.
    while (server.gateway.stats().dropped < 100 && seq < 5_000) {
      await server.gateway.publish({ channel: 'project:p1', data: { seq: ++seq, pad } });
      maxHeld = Math.max(maxHeld, server.gateway.stats().bufferedBytes);
      if (seq % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const stats = server.gateway.stats();
    expect(stats.dropped).toBeGreaterThanOrEqual(100);
    expect(maxHeld).toBeLessThanOrEqual(2 * maxBufferedBytes + 2 * frameBytes);

    raw.resume();
    const last = await slow.next(isEvent('project:p1', (d) => d.seq === seq));
    expect(last).toBeDefined();
    const received = events(slow, 'project:p1').map((d) => d.seq as number);
    // Every publish was either delivered or counted as dropped, never lost silently.
    expect(received.length + stats.dropped).toBe(seq);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    await vi.waitFor(() => expect(server.gateway.stats().bufferedBytes).toBe(0));
  });
});

describe('gateway stats and metrics', () => {
  it('counts connections per path, channels, subscriptions, messages in and out', async () => {
    const registry = new Registry();
    const server = await gatewayServer({ registry });
    const token = await gatewayToken('nora', { p1: 'reader', p2: 'reader' });
    const a = await client(server.url('analytics', `token=${token}`));
    const b = await client(server.url('analytics', `token=${token}`));
    const n = await client(server.url('notifications', `token=${token}`));
    await a.subscribe('project:p1');
    await a.subscribe('project:p2');
    await b.subscribe('project:p1');
    await n.subscribe('project:p1');
    await n.subscribe('user:other');
    const stats = server.gateway.stats();
    expect(stats).toMatchObject({ connections: { analytics: 2, notifications: 1, presence: 0 }, channels: 2, subscriptions: 4, messagesIn: 5, dropped: 0 });
    expect(stats.messagesOut).toBe(5);
    await server.gateway.publish({ channel: 'project:p1', data: {} });
    await Promise.all([a, b, n].map((c) => c.next(isEvent('project:p1'))));
    expect(server.gateway.stats().messagesOut).toBe(8);

    b.close();
    await b.closed;
    await vi.waitFor(() => expect(server.gateway.stats()).toMatchObject({ connections: { analytics: 1 }, subscriptions: 3 }));
    const text = await registry.metrics();
    expect(text).toMatch(/storyloom_gateway_connections\{path="analytics"\} 1/);
    expect(text).toMatch(/storyloom_gateway_messages_out_total\{path="analytics"\} 5/);
    expect(text).toMatch(/storyloom_gateway_subscriptions 3/);
  });
});
