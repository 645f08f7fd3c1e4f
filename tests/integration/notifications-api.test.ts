import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent } from '../../src/events/schema.js';
import { signUnsubscribeToken } from '../../src/services/notifications/channels/unsubscribe.js';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import type { NotificationPush } from '../../src/protocol/notifications.js';
import { connectGateway, type GatewayTestClient } from '../helpers/gateway-client.js';
import { uniqueName } from '../helpers/services.js';
import { TEST_SECRET, startTestServer, type TestServer } from '../helpers/test-server.js';

/** A JSON body read by path in assertions (`body.notification.id`); toMatchObject checks the shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
type Body = Record<string, any>;

/** A real server (PGlite), real gateway clients on /ws/notifications, REST through fetch. */
describe('notifications through a real server', () => {
  let t: TestServer;
  const project = uniqueName('nt').replace(/_/g, '-');
  const tokens: Record<string, string> = {};
  let wrenSocket: GatewayTestClient;

  const api = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.httpUrl}/api/realtime/notifications${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const pushes = (socket: GatewayTestClient) =>
    socket.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event' && (m.data as NotificationPush).type === 'notification').map((m) => m.data as NotificationPush);

  beforeAll(async () => {
    t = await startTestServer();
    tokens.olga = await t.token('olga', { [project]: 'owner' });
    tokens.wren = await t.token('wren', { [project]: 'editor' });
    tokens.otto = await t.token('otto', { other: 'owner' });
    tokens.admin = await t.token('ops', {}, { admin: true });
    wrenSocket = await connectGateway(`ws://127.0.0.1:${t.port}/ws/notifications?token=${tokens.wren}`);
    expect((await wrenSocket.subscribe('user:wren')).type).toBe('subscribed');
    // Olga's token is seen (as the project's owner) on her first request.
    expect((await api('olga', 'GET', '/preferences')).status).toBe(200);
    // Deterministic whatever the hour the suite runs at: no quiet hours for wren.
    expect((await api('wren', 'PUT', '/preferences', { quietHours: null })).status).toBe(200);
  });
  afterAll(async () => {
    wrenSocket?.close();
    await t?.cleanup();
  });

  it('send -> the in-app push on user:<id> and the inbox; email reported as not configured, not sent', async () => {
    const sent = await api('olga', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'high', title: 'Chapter 3 is due', body: 'Friday, please.' });
    expect(sent.status).toBe(201);
    const id = sent.body.notification.id as string;
    const push = await wrenSocket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.id === id);
    expect(push).toMatchObject({ type: 'event', channel: 'user:wren', data: { type: 'notification', silent: false, notification: { id, projectId: project, category: 'system', priority: 'high', title: 'Chapter 3 is due', body: 'Friday, please.' } } });
    expect(Date.parse((push as { data: NotificationPush }).data.notification.createdAt)).toBeGreaterThan(0);

    const inbox = await api('wren', 'GET', '?unread=true');
    expect(inbox.body.unreadCount).toBe(1);
    expect(inbox.body.items.map((n: { id: string }) => n.id)).toEqual([id]);
    await vi.waitFor(async () => {
      const status = await api('wren', 'GET', `/deliveries/${id}`);
      const byChannel = Object.fromEntries(status.body.deliveries.map((d: { channel: string }) => [d.channel, d]));
      expect(byChannel.in_app).toMatchObject({ status: 'sent', attempts: 1 });
      // No SMTP_URL in this suite: failed with the reason, never a silent success.
      expect(byChannel.email).toMatchObject({ status: 'failed', lastError: expect.stringContaining('not configured') });
    });
    // Someone else's notification is not theirs to read.
    expect((await api('olga', 'GET', `/deliveries/${id}`)).status).toBe(404);
  });

  it('read, read-all and archive; the unread count follows', async () => {
    const a = await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'medium', title: 'A', body: '' });
    const b = await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'medium', title: 'B', body: '' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await api('wren', 'GET', '')).body.unreadCount).toBe(3);
    expect((await api('wren', 'POST', `/${a.body.notification.id}/read`)).status).toBe(200);
    expect((await api('wren', 'GET', '')).body.unreadCount).toBe(2);
    expect((await api('olga', 'POST', `/${b.body.notification.id}/read`)).status).toBe(404);
    expect((await api('wren', 'POST', '/read-all')).body.updated).toBe(2);
    expect((await api('wren', 'GET', '')).body.unreadCount).toBe(0);
    expect((await api('wren', 'POST', `/${b.body.notification.id}/archive`)).status).toBe(200);
    const page = await api('wren', 'GET', '?limit=1');
    expect(page.body.items).toHaveLength(1);
    const next = await api('wren', 'GET', `?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    expect([...page.body.items, ...next.body.items].map((n: { id: string }) => n.id)).not.toContain(b.body.notification.id);
  });

  it('who may send: admin to anyone, an owner to members of their project only', async () => {
    const body = { projectId: project, category: 'system', priority: 'low', title: 'Hi', body: 'there' };
    expect((await api('otto', 'POST', '/send', { ...body, userId: 'wren' })).status).toBe(403);
    expect((await api('wren', 'POST', '/send', { ...body, userId: 'olga' })).status).toBe(403);
    expect((await api('olga', 'POST', '/send', { ...body, userId: 'stranger' })).status).toBe(403);
    expect((await api('admin', 'POST', '/send', { ...body, userId: 'stranger' })).status).toBe(201);
  });

  it('preferences round trip: merged, defaults filled in, channel status reported', async () => {
    const defaults = await api('olga', 'GET', '/preferences');
    expect(defaults.body).toMatchObject({
      channels: { publishing: { critical: ['in_app', 'email'], high: ['in_app', 'email'], medium: ['in_app'], low: ['in_app', 'email'] } },
      quietHours: { start: '22:00', end: '08:00', timeZone: 'UTC' },
      digest: { analytics: 'daily' },
      channelStatus: { in_app: { configured: true }, email: { configured: false, detail: expect.stringContaining('SMTP_URL') } },
    });
    const put = await api('olga', 'PUT', '/preferences', {
      channels: { analytics: { high: ['in_app', 'push'] } },
      quietHours: { start: '23:30', end: '06:45', timeZone: 'Europe/Berlin' },
      digest: { analytics: 'weekly' },
      phone: '+4915112345678',
      email: 'olga@example.org',
      mute: { automation: '2030-01-01T00:00:00Z' },
    });
    expect(put.status).toBe(200);
    await api('olga', 'PUT', '/preferences', { digest: { writing: 'hourly' } });
    const after = (await api('olga', 'GET', '/preferences')).body;
    expect(after).toMatchObject({
      channels: { analytics: { high: ['in_app', 'push'], low: ['in_app', 'email'] } },
      quietHours: { start: '23:30', end: '06:45', timeZone: 'Europe/Berlin' },
      digest: { analytics: 'weekly', writing: 'hourly', system: 'daily' },
      phone: '+4915112345678',
      email: 'olga@example.org',
      mute: { automation: '2030-01-01T00:00:00Z' },
    });
  });

  it('bad input: 400 with details, nothing queued lost', async () => {
    const before = (await api('wren', 'GET', '')).body.items.length;
    const bad = [
      await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'gossip', priority: 'high', title: 'x', body: 'y' }),
      await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'urgent', title: 'x', body: 'y' }),
      await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'high', title: 'x'.repeat(201), body: 'y' }),
      await api('admin', 'POST', '/send', { userId: 'wren', projectId: project, category: 'system', priority: 'high', title: 'x', body: 'y'.repeat(4001) }),
      await api('wren', 'PUT', '/preferences', { quietHours: { start: '22:00', end: '08:00', timeZone: 'Mars/Olympus' } }),
      await api('wren', 'PUT', '/preferences', { quietHours: { start: '25:00', end: '08:00', timeZone: 'UTC' } }),
      await api('wren', 'PUT', '/preferences', { channels: { gossip: { high: ['email'] } } }),
      await api('wren', 'PUT', '/preferences', { channels: { system: { high: ['pigeon'] } } }),
      await api('wren', 'POST', '/push-subscriptions', { endpoint: 'http://push.example.org/x', keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } }),
      await api('wren', 'POST', '/push-subscriptions', { endpoint: 'https://push.example.org/x' }),
    ];
    for (const r of bad) {
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'validation-failed', details: { issues: expect.any(Array) } });
    }
    expect((await api('wren', 'GET', '')).body.items.length).toBe(before);
    expect((await api('wren', 'GET', '/preferences')).body.quietHours).toBeNull();
  });

  it('push subscriptions: add (https + keys) and remove', async () => {
    const created = await api('wren', 'POST', '/push-subscriptions', { endpoint: 'https://push.example.org/abc', keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } });
    expect(created.status).toBe(201);
    expect((await api('wren', 'DELETE', `/push-subscriptions/${created.body.id}`)).status).toBe(200);
    expect((await api('wren', 'DELETE', `/push-subscriptions/${created.body.id}`)).status).toBe(404);
  });

  it('rules from events: goal_met (low) reaches the writer in-app once, even when the bus redelivers it', async () => {
    const before = pushes(wrenSocket).length;
    const event = createEvent('analytics.goal_met', { actor: t.server.actorOf('wren'), projectId: project, payload: { goalId: 'g1', kind: 'daily_words', target: 500, actual: 612 } });
    await t.server.bus.publish(event);
    await t.server.bus.publish(event);
    const push = await wrenSocket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.title === 'Goal met');
    expect(push).toMatchObject({ data: { notification: { category: 'analytics', priority: 'low', body: 'You wrote 612 of 500 (daily_words).' } } });
    // The low email waits for the daily digest.
    const preview = await api('wren', 'GET', '/digest/preview');
    expect(preview.body.digests).toEqual([expect.objectContaining({ channel: 'email', notifications: [expect.objectContaining({ title: 'Goal met' })] })]);
    await t.server.bus.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(pushes(wrenSocket).filter((p) => p.notification.title === 'Goal met')).toHaveLength(1);
    expect(pushes(wrenSocket).length).toBe(before + 1);
  });

  it('auto-mute: the same alert twice within the hour is folded, not pushed again', async () => {
    const body = { userId: 'wren', projectId: project, category: 'publishing', priority: 'high', title: 'Upload failed', body: 'KDP said no' };
    const first = await api('admin', 'POST', '/send', body);
    await wrenSocket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.id === first.body.notification.id);
    const second = await api('admin', 'POST', '/send', body);
    expect(second.body.notification).toMatchObject({ folded: true, routing: expect.arrayContaining([expect.stringContaining('auto-muted')]) });
    expect(second.body.deliveries).toEqual([expect.objectContaining({ channel: 'email', kind: 'digest' })]);
  });

  it('/readyz says which channels are configured, without making the instance unready', async () => {
    const res = await fetch(`${t.httpUrl}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.notifications.channels).toMatchObject({ in_app: { configured: true }, email: { configured: false, detail: expect.stringContaining('SMTP_URL') }, sms: { configured: false }, push: { configured: expect.any(Boolean) } });
  });

  it("an email's one-click unsubscribe turns the channel off for that category; a forged token is refused", async () => {
    const token = signUnsubscribeToken(TEST_SECRET, { userId: 'wren', category: 'publishing', channel: 'email' });
    const page = await fetch(`${t.httpUrl}/api/realtime/notifications/unsubscribe?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('method="post"');
    expect((await api('wren', 'GET', '/preferences')).body.channels.publishing.high).toEqual(['in_app', 'email']);
    const res = await fetch(`${t.httpUrl}/api/realtime/notifications/unsubscribe?token=${encodeURIComponent(token)}`, { method: 'POST' });
    expect(res.status).toBe(200);
    const prefs = (await api('wren', 'GET', '/preferences')).body;
    expect(prefs.channels.publishing).toEqual({ critical: ['in_app'], high: ['in_app'], medium: ['in_app'], low: ['in_app'] });
    expect(prefs.channels.analytics.high).toEqual(['in_app', 'email']);
    const forged = signUnsubscribeToken('another-secret-0123456789-abcdefghijkl', { userId: 'wren', category: '*', channel: 'email' });
    expect((await fetch(`${t.httpUrl}/api/realtime/notifications/unsubscribe?token=${encodeURIComponent(forged)}`, { method: 'POST' })).status).toBe(400);
  });
});
