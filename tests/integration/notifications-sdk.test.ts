import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type NotificationMessage, type StoryloomClient } from '../../client-sdk/src/index.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 50 });

describe('SDK client.notifications (real server)', () => {
  let t: TestServer;
  const project = uniqueName('sdkn').replace(/_/g, '-');
  let writer: StoryloomClient;
  let admin: StoryloomClient;

  beforeAll(async () => {
    t = await startTestServer();
    writer = createClient({ url: t.httpUrl, getToken: () => t.token('nadia', { [project]: 'editor' }) });
    admin = createClient({ url: t.httpUrl, getToken: () => t.token('ops', {}, { admin: true }) });
  });
  afterAll(async () => {
    writer?.destroy();
    admin?.destroy();
    await t?.cleanup();
  });

  it('typed live pushes, inbox, unread count, mark read and preferences', async () => {
    await writer.notifications.preferences.update({ quietHours: null, digest: { system: 'off' } });
    const received: NotificationMessage[] = [];
    const subscription = writer.notifications.subscribe((m) => received.push(m));
    await subscription.ready;
    const sent = await admin.api.sendNotification({ userId: 'nadia', projectId: project, category: 'system', priority: 'critical', title: 'Server moves tonight', body: 'Save your work by 22:00.' });
    await eventually(() => expect(received.some((m) => m.notification?.notification.id === sent.notification.id)).toBe(true));
    const push = received.find((m) => m.notification)!.notification!;
    expect(push).toEqual({
      type: 'notification',
      silent: false,
      notification: { id: sent.notification.id, projectId: project, category: 'system', priority: 'critical', title: 'Server moves tonight', body: 'Save your work by 22:00.', createdAt: sent.notification.createdAt, data: null },
    });
    expect(await writer.notifications.unreadCount()).toBe(1);
    const page = await writer.notifications.list({ unread: 'true' });
    expect(page.items.map((n) => n.title)).toEqual(['Server moves tonight']);
    await writer.notifications.markRead(sent.notification.id);
    expect(await writer.notifications.unreadCount()).toBe(0);
    const prefs = await writer.notifications.preferences.get();
    expect(prefs).toMatchObject({ quietHours: null, digest: { system: 'off', analytics: 'daily' }, channelStatus: { in_app: { configured: true } } });
    await expect(writer.notifications.preferences.update({ quietHours: { start: '9pm', end: '07:00', timeZone: 'UTC' } })).rejects.toMatchObject({ code: 'validation-failed' });
    subscription();
  });
});
