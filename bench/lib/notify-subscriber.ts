/**
 * A push-run subscriber process (forked by bench/scenarios/notifications.ts; protocol in
 * notify-ipc.ts): opens its share of plain `ws` sockets on /ws/notifications, subscribes each to
 * its `user:<id>`, and timestamps every notification pushed to it. The sockets used to live in
 * the server's process and cost its event loop about 1.3 ms of CPU per event together with the
 * server; here they cost only this process. Arrivals go to the parent in batches every 100 ms
 * (one IPC message per batch, not per push, so reporting stays cheap).
 */
import { WebSocket } from 'ws';
import type { Cpu, SubscriberReply, SubscriberRequest } from './notify-ipc.js';

const sockets: WebSocket[] = [];
const seen = new Set<string>();
let rows: number[] = [];
let cpuMark = { usage: process.cpuUsage(), at: performance.now() };

function send(message: SubscriberReply): void {
  process.send?.(message);
}

function flush(): void {
  if (rows.length === 0) return;
  send({ type: 'arrivals', rows });
  rows = [];
}
setInterval(flush, 100).unref();

interface Pushed {
  type: string;
  data?: { type?: string; notification?: { id: string; createdAt: string; data?: { eventId?: string } } };
}

function onPush(m: Pushed, now: number): void {
  const n = m.type === 'event' && m.data?.type === 'notification' ? m.data.notification : undefined;
  const eventId = n?.data?.eventId;
  if (!n || !eventId || seen.has(n.id)) return;
  seen.add(n.id);
  // The event's uuidv7 carries its occurredAt (ms): no lookup table needed. Same machine clock.
  const occurred = parseInt(eventId.replace(/-/g, '').slice(0, 12), 16);
  const stored = Date.parse(n.createdAt);
  rows.push(now - occurred, stored - occurred, now - stored, now);
}

async function connect(url: string, users: { id: string; token: string }[]): Promise<void> {
  const t0 = performance.now();
  // In batches of 50, as the in-process harness did: a thousand handshakes at once is not the test.
  for (let i = 0; i < users.length; i += 50) {
    await Promise.all(
      users.slice(i, i + 50).map(
        (u) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(`${url}?token=${u.token}`);
            sockets.push(ws);
            ws.once('error', reject);
            ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: `user:${u.id}` })));
            ws.on('message', (raw) => {
              // Timestamp first: parsing is this process's cost, not the server's latency.
              const now = Date.now();
              const m = JSON.parse(String(raw)) as Pushed;
              if (m.type === 'subscribed') resolve();
              else if (m.type === 'error') reject(new Error(String(raw)));
              else onPush(m, now);
            });
          }),
      ),
    );
  }
  send({ type: 'subscribed', count: sockets.length, ms: performance.now() - t0 });
}

process.on('message', (message: SubscriberRequest) => {
  switch (message.type) {
    case 'connect':
      void connect(message.url, message.users).catch((error: unknown) => send({ type: 'error', message: String(error) }));
      return;
    case 'mark':
      cpuMark = { usage: process.cpuUsage(), at: performance.now() };
      return;
    case 'collect': {
      flush();
      const usage = process.cpuUsage(cpuMark.usage);
      const cpu: Cpu = { userMs: usage.user / 1000, systemMs: usage.system / 1000, wallMs: performance.now() - cpuMark.at };
      send({ type: 'report', cpu });
      return;
    }
    case 'close':
      for (const ws of sockets) ws.terminate();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
