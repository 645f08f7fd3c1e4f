import { afterAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 15_000, interval: 50 });

/**
 * Issue 12 (many-docs warm-up): a writer's Yjs client id is claimed durably as soon as its
 * awareness names it, before the first keystroke, so that keystroke does not wait for the
 * database. Only a writer's own id is claimed ahead (the state awareness-identity stamped with
 * that connection's user), never a reader's.
 */
describe('client ids claimed from awareness, before the first keystroke', () => {
  const project = uniqueName('ca').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const roles = { bob: 'editor', carol: 'reader', dave: 'owner' } as const;
  const clients: TestClient[] = [];
  let t: TestServer;

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
  });

  const connect = async (user: keyof typeof roles) => {
    const client = connectClient(t.wsUrl, docName, await t.token(user, { [project]: roles[user] }));
    clients.push(client);
    await client.synced;
    return client;
  };

  it("stores each writer's own id with no edit made, and not a reader's", async () => {
    t = await startTestServer();
    const bob = await connect('bob');
    const carol = await connect('carol');
    bob.provider.setAwarenessField('cursor', null);
    carol.provider.setAwarenessField('cursor', null);
    const stored = () => t.server.database.documentClients.load(docName);
    await eventually(async () => expect((await stored()).get(bob.ydoc.clientID)).toBe('bob'));

    // A second writer's id is claimed for them, and Bob's stays Bob's.
    const dave = await connect('dave');
    dave.provider.setAwarenessField('cursor', null);
    await eventually(async () => expect((await stored()).get(dave.ydoc.clientID)).toBe('dave'));

    const map = await stored();
    expect(map.get(bob.ydoc.clientID)).toBe('bob');
    expect(map.has(carol.ydoc.clientID)).toBe(false);
    expect(bob.ydoc.getXmlFragment('default').length).toBe(0); // no keystroke was needed
  });
});
