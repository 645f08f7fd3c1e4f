import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Received {
  type: string;
  channel?: string;
  code?: string;
  data?: { id: string; type: string; projectId?: string; payload: Record<string, unknown> };
}

/** A browser-like client of /ws/*: token in the query string, JSON messages. */
async function channelClient(url: string): Promise<{ ws: WebSocket; messages: Received[]; send(m: unknown): void; close(): void }> {
  const ws = new WebSocket(url);
  const messages: Received[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as Received));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, send: (m) => ws.send(JSON.stringify(m)), close: () => ws.close() };
}

const backends = [{ name: 'memory bus', env: {} as Record<string, string> }];
if (serviceAvailable('redis')) backends.push({ name: 'Redis Streams bus', env: { REDIS_URL: redisUrl! } });

describe.each(backends)('events over REST, the archive and /ws channels ($name)', ({ env }) => {
  let t: TestServer;
  let admin: string;
  const project = uniqueName('p').replace(/_/g, '-');
  beforeAll(async () => {
    t = await startTestServer(env);
    admin = await t.token('ops', {}, { admin: true });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const publish = (body: unknown, token = admin) =>
    fetch(`${t.httpUrl}/api/realtime/events/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const wordsWritten = (projectId: string, net: number) => ({
    type: 'writing.words_written',
    projectId,
    documentId: 'chapter-1',
    actorUserId: 'alice',
    payload: { sessionId: 's1', added: net, removed: 0, net },
  });

  it('delivers an event published through REST to a project subscriber, and archives it', async () => {
    const writer = await t.token('alice', { [project]: 'editor' });
    const client = await channelClient(`ws://127.0.0.1:${t.port}/ws/analytics?token=${writer}`);
    client.send({ type: 'subscribe', channel: `project:${project}` });
    await vi.waitFor(() => expect(client.messages).toContainEqual({ type: 'subscribed', channel: `project:${project}` }));

    const sentAt = performance.now();
    const res = await publish(wordsWritten(project, 42));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await vi.waitFor(() => expect(client.messages.some((m) => m.type === 'event' && m.data?.id === id)).toBe(true), { interval: 1 });
    console.log(`[events] REST publish -> /ws subscriber: ${(performance.now() - sentAt).toFixed(1)} ms`);
    const event = client.messages.find((m) => m.data?.id === id)!;
    expect(event.channel).toBe(`project:${project}`);
    expect(event.data).toMatchObject({ type: 'writing.words_written', projectId: project, payload: { net: 42 } });
    expect(event.data).not.toHaveProperty('actorUserId');
    expect(JSON.stringify(event.data)).not.toContain('alice'); // the actor is a pseudonym
    client.close();

    // The audit archive has it, readable by a project member.
    await vi.waitFor(async () => {
      const page = (await (
        await fetch(`${t.httpUrl}/api/realtime/events/writing?projectId=${project}`, { headers: { authorization: `Bearer ${writer}` } })
      ).json()) as { items: { id: string; actor: string }[] };
      expect(page.items.map((e) => e.id)).toContain(id);
      expect(page.items[0]!.actor).toBe(t.server.actorOf('alice'));
    });
  });

  it('refuses an outsider subscription and keeps the socket serving', async () => {
    const outsider = await t.token('mallory', { elsewhere: 'owner' });
    const client = await channelClient(`ws://127.0.0.1:${t.port}/ws/analytics?token=${outsider}`);
    client.send({ type: 'subscribe', channel: `project:${project}` });
    await vi.waitFor(() => expect(client.messages).toContainEqual(expect.objectContaining({ type: 'error', code: 'forbidden' })));
    client.send({ type: 'subscribe', channel: 'project:elsewhere' });
    await vi.waitFor(() => expect(client.messages).toContainEqual({ type: 'subscribed', channel: 'project:elsewhere' }));
    client.close();
  });

  it('pages through the archive with a cursor, filtered by type and project', async () => {
    const other = `${project}-b`;
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(((await (await publish(wordsWritten(other, i))).json()) as { id: string }).id);
    const cursorMoved = await publish({ type: 'collaboration.cursor_moved', projectId: other, payload: { block: 3 } });
    expect(cursorMoved.status).toBe(202);
    const get = async (query: string) =>
      (await (await fetch(`${t.httpUrl}/api/realtime/events/${query}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
    await vi.waitFor(async () => expect((await get(`writing?projectId=${other}`)).items).toHaveLength(5));
    const first = await get(`writing?projectId=${other}&type=writing.words_written&limit=2`);
    const second = await get(`writing?projectId=${other}&limit=2&cursor=${first.nextCursor}`);
    const third = await get(`writing?projectId=${other}&limit=2&cursor=${second.nextCursor}`);
    expect([...first.items, ...second.items, ...third.items].map((e) => e.id)).toEqual([...ids].reverse());
    expect(third.nextCursor).toBeNull();
    // Sampled cursor moves are not archived.
    expect((await get(`collaboration?projectId=${other}`)).items).toHaveLength(0);
  });

  it('answers bad input with a clear 4xx and the error body', async () => {
    const cases: [unknown, number, string][] = [
      [{ type: 'writing.nope', payload: {} }, 400, 'validation-failed'],
      [{ type: 'writing.words_written', projectId: project, payload: { added: 'many' } }, 400, 'validation-failed'],
      [{ type: 'writing.words_written', projectId: 'bad id!', payload: { sessionId: 's', added: 1, removed: 0, net: 1 } }, 400, 'validation-failed'],
      ['{"type": ', 400, 'validation-failed'],
      [{ type: 'publishing.status_changed', payload: { from: 'draft', to: 'final', note: 'x', extra: 'y'.repeat(70_000) } }, 413, 'message-too-large'],
    ];
    for (const [body, status, code] of cases) {
      const res = await publish(body);
      const json = (await res.json()) as { error: { code: string; details: unknown } };
      expect({ status: res.status, code: json.error.code }).toEqual({ status, code });
      expect(json.error.details).toBeTypeOf('object');
    }
    const notAdmin = await publish(wordsWritten(project, 1), await t.token('alice', { [project]: 'owner' }));
    expect(notAdmin.status).toBe(403);
    const list = await fetch(`${t.httpUrl}/api/realtime/events/writing`, { headers: { authorization: `Bearer ${await t.token('alice', { [project]: 'owner' })}` } });
    expect(list.status).toBe(400);
    const nosy = await fetch(`${t.httpUrl}/api/realtime/events/writing?projectId=${project}`, { headers: { authorization: `Bearer ${await t.token('eve', {})}` } });
    expect(nosy.status).toBe(403);
    expect((await fetch(`${t.httpUrl}/api/realtime/events/nonsense`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(400);
  });

  it('serves the JSON Schema of all 27 types, stream info, gateway stats and broadcast', async () => {
    const schemas = (await (await fetch(`${t.httpUrl}/api/realtime/events/schema`)).json()) as Record<string, unknown>;
    expect(Object.keys(schemas)).toHaveLength(27);
    const auth = { authorization: `Bearer ${admin}` };
    const info = (await (await fetch(`${t.httpUrl}/api/realtime/events/writing/info`, { headers: auth })).json()) as {
      category: string;
      groups: { name: string }[];
    };
    expect(info.category).toBe('writing');
    expect(info.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['audit', 'gateway']));

    const writer = await t.token('bob', { [project]: 'reader' });
    const client = await channelClient(`ws://127.0.0.1:${t.port}/ws/notifications?token=${writer}`);
    client.send({ type: 'subscribe', channel: 'user:bob' });
    await vi.waitFor(() => expect(client.messages).toContainEqual({ type: 'subscribed', channel: 'user:bob' }));
    const sent = await fetch(`${t.httpUrl}/api/realtime/websocket/broadcast`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'user:bob', path: 'notifications', data: { title: 'Your editor left a note' } }),
    });
    expect(sent.status).toBe(202);
    await vi.waitFor(() => expect(client.messages).toContainEqual({ type: 'event', channel: 'user:bob', data: { title: 'Your editor left a note' } }));
    const stats = (await (await fetch(`${t.httpUrl}/api/realtime/websocket/stats`, { headers: auth })).json()) as {
      connections: Record<string, number>;
      messagesOut: number;
    };
    expect(stats.connections.notifications).toBe(1);
    expect(stats.messagesOut).toBeGreaterThan(0);
    client.close();
  });
});
