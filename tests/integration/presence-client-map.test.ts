import { afterAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 15_000, interval: 50 });

/**
 * The Yjs client id -> user map outlives the server: text written before a restart is still
 * attributed to its writers (not 'unknown') once the document is loaded again.
 */
describe('client id -> user map across a restart', () => {
  const project = uniqueName('pm').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const roles = { alice: 'owner', bob: 'editor', carol: 'reader' } as const;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];

  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const s of servers.reverse()) await s.cleanup();
  });

  const connect = async (t: TestServer, user: keyof typeof roles) => {
    const client = connectClient(t.wsUrl, docName, await t.token(user, { [project]: roles[user] }));
    clients.push(client);
    await client.synced;
    return client;
  };
  const contributions = async (t: TestServer) => {
    // The owner sees every writer's share (lib/visibility.ts); a reader would see none.
    const token = await t.token('alice', { [project]: 'owner' });
    const res = await fetch(`${t.httpUrl}/api/realtime/collaboration/document/${encodeURIComponent(docName)}/collaborators`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { contributions: Record<string, { chars: number }> }).contributions;
  };

  it('attributes surviving text to the right users after the server restarts', async () => {
    const first = await startTestServer();
    servers.push(first);
    const alice = await connect(first, 'alice');
    const bob = await connect(first, 'bob');
    typeInto(alice.ydoc, 'Alice wrote this. ', 0);
    await eventually(() => expect(textOf(bob.ydoc)).toBe('Alice wrote this. '));
    typeInto(bob.ydoc, 'Bob wrote that.', 1);
    await eventually(() => expect(textOf(alice.ydoc)).toBe('Alice wrote this. \nBob wrote that.'));
    await eventually(async () => expect(await contributions(first)).toMatchObject({ alice: { chars: 18 }, bob: { chars: 15 } }));
    alice.destroy();
    bob.destroy();
    await eventually(() => expect(first.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await first.close();

    // Same data dir, new process state: nothing in memory knows the client ids.
    const second = await startTestServer({ DATA_DIR: first.dataDir });
    servers.push(second);
    const carol = await connect(second, 'carol');
    expect(textOf(carol.ydoc)).toBe('Alice wrote this. \nBob wrote that.');
    await eventually(async () => {
      const view = await contributions(second);
      expect(view).toMatchObject({ alice: { chars: 18 }, bob: { chars: 15 } });
      expect(view.unknown).toBeUndefined();
    });
  });
});
