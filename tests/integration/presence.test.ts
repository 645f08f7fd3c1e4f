import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '../../src/gateway/protocol.js';
import type { ConflictMessage } from '../../src/protocol/index.js';
import { connectGateway, type GatewayTestClient } from '../helpers/gateway-client.js';
import { setCursor, watchConflicts as watchStateless } from '../helpers/presence-client.js';
import { redisUrl, serviceAvailable, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 25 });

const backends = [{ name: 'memory', env: {} as Record<string, string> }];
if (serviceAvailable('redis')) backends.push({ name: 'Redis', env: { REDIS_URL: redisUrl! } });

describe.each(backends)('presence and conflict prediction ($name)', ({ env }) => {
  let t: TestServer;
  const project = uniqueName('pp').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const encoded = encodeURIComponent(docName);
  const clients: TestClient[] = [];
  let alice: TestClient;
  let bob: TestClient;
  let watcher: GatewayTestClient;
  let seen: { a: ConflictMessage[]; b: ConflictMessage[] };
  const roles = { alice: 'owner', bob: 'editor', carol: 'reader', dave: 'editor' } as const;

  const tokenOf = (user: keyof typeof roles) => t.token(user, { [project]: roles[user] });
  const api = async (path: string, user: keyof typeof roles | 'stranger', body?: unknown) => {
    const token = user === 'stranger' ? await t.token('stranger', { other: 'owner' }) : await tokenOf(user);
    const res = await fetch(`${t.httpUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const connect = async (user: keyof typeof roles) => {
    const client = connectClient(t.wsUrl, docName, await tokenOf(user));
    clients.push(client);
    await client.synced;
    return client;
  };
  const conflicts = async () => (await api(`/api/realtime/collaboration/document/${encoded}/conflicts`, 'carol')).body.conflicts as { severity: string; users: string[] }[];

  beforeAll(async () => {
    t = await startTestServer(env);
    alice = await connect('alice');
    for (let i = 0; i < 5; i++) typeInto(alice.ydoc, `Paragraph ${i} of the chapter.`, i);
    bob = await connect('bob');
    await eventually(() => expect(bob.ydoc.getXmlFragment('default').length).toBe(5));
    seen = { a: watchStateless(alice), b: watchStateless(bob) };
    watcher = await connectGateway(`${t.httpUrl.replace('http', 'ws')}/ws/presence?token=${await tokenOf('carol')}`);
    expect((await watcher.subscribe(`document:${docName}`)).type).toBe('subscribed');
    expect((await watcher.subscribe(`project:${project}`)).type).toBe('subscribed');
  }, 30_000);

  afterAll(async () => {
    watcher?.close();
    for (const c of clients) c.destroy();
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  it('warns both writers (stateless), the /ws/presence document channel and REST when they type in one paragraph', async () => {
    setCursor(alice, 2, 3);
    setCursor(bob, 2, 10);
    typeInto(alice.ydoc, ' More', 2);
    typeInto(bob.ydoc, ' text', 2);
    await eventually(() => {
      expect(seen.a.some((m) => m.status === 'predicted' && m.severity === 'high')).toBe(true);
      expect(seen.b.some((m) => m.status === 'predicted' && m.severity === 'high')).toBe(true);
    });
    const pushed = await watcher.next((m: ServerMessage) => m.type === 'event' && (m.data as { type?: string }).type === 'storyloom.conflict');
    expect((pushed as { data: ConflictMessage }).data).toMatchObject({ status: 'predicted', severity: 'high', users: ['alice', 'bob'], blocks: [2] });
    // Once per channel: the live warning on document:, the event envelope on project: only.
    const onChannel = (channel: string) => watcher.messages.filter((m) => m.type === 'event' && m.channel === channel).map((m) => (m as { data: { type?: string } }).data);
    await watcher.next((m) => m.type === 'event' && m.channel === `project:${project}` && (m.data as { type?: string }).type === 'collaboration.conflict_predicted');
    const onDocument = onChannel(`document:${docName}`).filter((d) => d.type?.includes('conflict'));
    expect(onDocument.length).toBeGreaterThan(0);
    expect(onDocument.every((d) => d.type === 'storyloom.conflict')).toBe(true);
    const list = await conflicts();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ severity: 'high', users: ['alice', 'bob'] });
  });

  it('never warns about a reader, and ignores garbage cursors without throwing', async () => {
    const carol = await connect('carol');
    setCursor(carol, 2, 1);
    carol.provider.setAwarenessField('editMode', 'typing');
    // One connection per garbage caret: only a client's latest state is resolved at each tick.
    const garbage: unknown[] = [
      'nonsense',
      { anchor: { item: { client: -1, clock: 0 } }, head: 5 },
      { anchor: { type: { client: 424242, clock: 7 }, tname: 'evil' }, head: { tname: 'evil' } },
      { anchor: { item: { client: 1e300, clock: 'x' } }, head: null },
      { anchor: { tname: 'x'.repeat(300) }, head: { tname: 'default', assoc: 0.5 } },
    ];
    const daves: TestClient[] = [];
    for (const cursor of garbage) {
      const d = await connect('dave');
      d.provider.setAwarenessField('cursor', cursor);
      d.provider.setAwarenessField('editMode', 'typing');
      daves.push(d);
    }
    // An oversized state is dropped whole, and a flood is rate-limited; the server stays up.
    const flooder = await connect('dave');
    flooder.provider.setAwarenessField('big', 'x'.repeat(20_000));
    for (let i = 0; i < 200; i++) flooder.provider.setAwarenessField('n', i);
    await eventually(async () => {
      const view = (await api(`/api/realtime/collaboration/document/${encoded}/collaborators`, 'carol')).body as {
        collaborators: { userId: string; block: number | null; canEdit: boolean }[];
        contributions: Record<string, { chars: number }>;
      };
      const by = (u: string) => view.collaborators.find((c) => c.userId === u);
      expect(by('alice')?.block).toBe(2);
      expect(by('bob')?.block).toBe(2);
      expect(by('carol')).toMatchObject({ block: 2, canEdit: false });
      // Writers' numbers follow lib/visibility.ts: a reader sees presence, not the writers' shares.
      expect(view.contributions.alice).toBeUndefined();
      const owners = (await api(`/api/realtime/collaboration/document/${encoded}/collaborators`, 'alice')).body as { contributions: Record<string, { chars: number }> };
      expect(owners.contributions.alice?.chars).toBeGreaterThan(0);
      expect(owners.contributions.bob?.chars).toBeGreaterThan(0);
      const daveViews = view.collaborators.filter((c) => c.userId === 'dave');
      expect(daveViews).toHaveLength(garbage.length); // the oversized flooder is not present
      expect(daveViews.every((c) => c.block === null)).toBe(true);
    });
    expect(t.server.collaboration.hocuspocus.documents.get(docName)?.share.has('evil')).toBe(false);
    const list = await conflicts();
    expect(list.every((w) => !w.users.includes('carol') && !w.users.includes('dave'))).toBe(true);
    for (const c of [carol, flooder, ...daves]) c.destroy();
  });

  it('clears the warning for both writers once one caret moves two paragraphs away', async () => {
    setCursor(bob, 4, 0);
    await eventually(() => {
      expect(seen.a.some((m) => m.status === 'cleared')).toBe(true);
      expect(seen.b.some((m) => m.status === 'cleared')).toBe(true);
    }, 20_000);
    expect(await conflicts()).toEqual([]);
  }, 30_000);

  it('answers team metrics', async () => {
    const res = await api(`/api/realtime/collaboration/project/${project}/document/chapter-1/metrics`, 'carol');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ activeWriters: 2, conflictsPredicted: 1 });
    expect(res.body.actualCollisions).toBeGreaterThanOrEqual(1);
  });

  it('feeds REST clients into the same model', async () => {
    expect((await api('/api/realtime/collaboration/cursor', 'dave', { documentId: docName, anchorBlock: 0, headBlock: 0 })).status).toBe(202);
    expect((await api('/api/realtime/collaboration/edit', 'dave', { documentId: docName, blocks: [0] })).status).toBe(202);
    expect((await api('/api/realtime/collaboration/presence', 'dave', { documentId: docName, state: { editMode: 'typing', viewport: { fromBlock: 0, toBlock: 3 } } })).status).toBe(202);
    await eventually(async () => {
      const view = (await api(`/api/realtime/collaboration/document/${encoded}/collaborators`, 'alice')).body as { collaborators: { userId: string; via: string; block: number | null; editMode: string | null }[] };
      expect(view.collaborators.find((c) => c.userId === 'dave' && c.via === 'rest')).toMatchObject({ block: 0, editMode: 'typing' });
    });
  });

  it('documents every collaboration route in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${t.httpUrl}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['presence', 'cursor', 'edit', 'document/{id}/collaborators', 'document/{id}/conflicts', 'project/{pId}/document/{dId}/metrics']) {
      expect(spec.paths).toHaveProperty([`/api/realtime/collaboration/${path}`]);
    }
  });

  it('refuses bad input with 400, 403 and 404', async () => {
    const post = (user: keyof typeof roles | 'stranger', path: string, body: unknown) => api(`/api/realtime/collaboration/${path}`, user, body);
    expect((await post('alice', 'cursor', { documentId: 'no-slash', anchorBlock: 0, headBlock: 0 })).status).toBe(400);
    expect((await post('alice', 'cursor', { documentId: docName, anchorBlock: -1, headBlock: 0 })).status).toBe(400);
    expect((await post('alice', 'edit', { documentId: docName, blocks: [] })).status).toBe(400);
    expect((await post('alice', 'presence', { documentId: docName, state: { viewport: { fromBlock: 3, toBlock: 1 } } })).status).toBe(400);
    expect((await post('carol', 'cursor', { documentId: docName, anchorBlock: 0, headBlock: 0 })).status).toBe(403);
    expect((await post('stranger', 'edit', { documentId: docName, blocks: [1] })).status).toBe(403);
    expect((await api(`/api/realtime/collaboration/document/${encoded}/conflicts`, 'stranger')).status).toBe(403);
    expect((await api(`/api/realtime/collaboration/document/${encodeURIComponent(`${project}/nobody-here`)}/collaborators`, 'carol')).status).toBe(404);
    expect((await api(`/api/realtime/collaboration/document/not-a-name/conflicts`, 'carol')).status).toBe(400);
    expect((await api(`/api/realtime/collaboration/project/${project}/document/nobody-here/metrics`, 'carol')).status).toBe(404);
  });
});

describe('presence with real-time tracking off', () => {
  it('answers 503 on the collaboration routes', async () => {
    const t = await startTestServer({ REAL_TIME_TRACKING_ENABLED: 'false' });
    try {
      const token = await t.token('alice', { p: 'owner' });
      const res = await fetch(`${t.httpUrl}/api/realtime/collaboration/document/p%2Fd/conflicts`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
    } finally {
      await t.cleanup();
    }
  });
});
