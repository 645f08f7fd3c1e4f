import type { HocuspocusProvider } from '@hocuspocus/provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { StoryloomEvent } from '../../src/events/schema.js';
import { createManualClock } from '../../src/lib/clock.js';
import type { NotificationPush } from '../../src/protocol/notifications.js';
import { connectGateway } from '../helpers/gateway-client.js';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, type TestClient, type TestServer } from '../helpers/test-server.js';
import { loadSequentialTrace } from '../helpers/traces.js';

/**
 * A real writer in flow: seph-blog1 replayed through a real HocuspocusProvider with the server's
 * clock on the trace's timestamps, until the writing service puts the session in `flow`. Then a
 * high alert waits (held for flow) and a critical one arrives at once; once the session leaves
 * flow the held one arrives.
 */
const REPLAY_RATE = { COLLAB_MESSAGES_PER_SECOND: '1000000', COLLAB_MESSAGE_BURST: '10000000' };

function acked(provider: HocuspocusProvider): Promise<void> {
  if (!provider.hasUnsyncedChanges) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (provider.hasUnsyncedChanges) return;
      provider.off('unsyncedChanges', check);
      resolve();
    };
    provider.on('unsyncedChanges', check);
  });
}

describe('flow-aware holding with a real writer in flow', () => {
  const clock = createManualClock(0);
  let t: TestServer;
  let client: TestClient | undefined;
  beforeAll(async () => {
    t = await startTestServer({ WRITING_FLUSH_MS: '100', DURABLE_ACK: 'false', ...REPLAY_RATE }, { clock });
  });
  afterAll(async () => {
    client?.destroy();
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0), { timeout: 30_000 });
    await t.cleanup();
  });

  it('holds a non-critical alert until the writer leaves flow; a critical one arrives at once', async () => {
    const trace = loadSequentialTrace('seph-blog1');
    const project = uniqueName('flow').replace(/_/g, '-');
    const sephToken = await t.token('seph', { [project]: 'editor' });
    const ownerToken = await t.token('olga', { [project]: 'owner' });
    const events: StoryloomEvent[] = [];
    t.server.bus.subscribe({ group: uniqueName('flow'), categories: ['writing'], handle: async (e) => void (e.projectId === project && events.push(e)) });
    const socket = await connectGateway(`ws://127.0.0.1:${t.port}/ws/notifications?token=${sephToken}`);
    expect((await socket.subscribe('user:seph')).type).toBe('subscribed');
    const send = async (priority: string, title: string) => {
      const res = await fetch(`${t.httpUrl}/api/realtime/notifications/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ownerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'seph', projectId: project, category: 'system', priority, title, body: 'from the editor' }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { notification: { id: string }; deliveries: { channel: string; status: string; holdReason: string | null }[] });
    };
    const pushed = (title: string) => socket.messages.some((m) => m.type === 'event' && (m.data as NotificationPush).notification?.title === title);

    clock.set(Date.parse(trace.txns[0]!.time));
    client = connectClient(t.wsUrl, `${project}/blog`, sephToken);
    await client.synced;
    // Quiet hours off, so the trace's hours of day do not matter here.
    await fetch(`${t.httpUrl}/api/realtime/notifications/preferences`, { method: 'PUT', headers: { authorization: `Bearer ${sephToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ quietHours: null }) });
    const serverDoc = t.server.collaboration.hocuspocus.documents.get(`${project}/blog`)!;
    const times: number[] = [];
    let applied = 0;
    serverDoc.on('beforeTransaction', (tr: Y.Transaction) => {
      if ((tr.origin as { source?: string } | null)?.source === 'connection' && applied < times.length) clock.set(times[applied++]!);
    });
    const text = client.ydoc.getText('text');
    const writing = t.server.writing!;
    const inFlow = async () => (await writing.activeSessions({ userId: 'seph' })).some((s) => s.state === 'flow');
    let i = 0;
    let flowing = false;
    while (!flowing && i < trace.txns.length) {
      const end = Math.min(i + 100, trace.txns.length);
      for (; i < end; i++) {
        const txn = trace.txns[i]!;
        let sent = false;
        const mark = () => void (sent = true);
        client.ydoc.once('update', mark);
        client.ydoc.transact(() => {
          for (const [pos, del, ins] of txn.patches) {
            if (del > 0) text.delete(pos, del);
            if (ins.length > 0) text.insert(pos, ins);
          }
        });
        client.ydoc.off('update', mark);
        if (sent) times.push(Date.parse(txn.time));
      }
      await acked(client.provider);
      await writing.flush();
      flowing = await inFlow();
    }
    expect(flowing).toBe(true);
    const enteredFlowAt = clock.now();
    console.log(`[flow] seph entered flow after ${i} transactions of the trace, at ${new Date(enteredFlowAt).toISOString()}`);

    const high = await send('high', 'Cover proofs are ready');
    expect(high.deliveries.find((d) => d.channel === 'in_app')).toMatchObject({ status: 'held', holdReason: 'flow' });
    const critical = await send('critical', 'The print run is on hold');
    // Not held: the service pushes an in-app delivery due now before it answers.
    expect(critical.deliveries.find((d) => d.channel === 'in_app')).toMatchObject({ status: 'sent', holdReason: null });
    await socket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.title === 'The print run is on hold');
    // The outbox polls every second: two rounds later the held one has still not gone out.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await inFlow()).toBe(true);
    expect(pushed('Cover proofs are ready')).toBe(false);

    // The writer stops; 16 minutes of the trace's time later the session has ended.
    clock.set(enteredFlowAt + 16 * 60_000);
    await writing.tick();
    await writing.flush();
    expect(await inFlow()).toBe(false);
    const arrived = await socket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.title === 'Cover proofs are ready');
    expect(arrived).toMatchObject({ channel: 'user:seph', data: { notification: { id: high.notification.id, priority: 'high' } } });
    // The "Flow state" notification from writing.flow_entered waited for the same moment.
    expect(events.some((e) => e.type === 'writing.flow_entered')).toBe(true);
    await socket.next((m) => m.type === 'event' && (m.data as NotificationPush).notification?.title === 'Flow state');
    socket.close();
  });
});
