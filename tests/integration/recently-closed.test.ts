/**
 * Recently closed documents (collab/recently-closed.ts): after the last writer leaves, a
 * server-side read (a version, an export) uses the state this instance just unloaded instead of
 * reading and decoding it from storage again, and a later load and edit of the document is what
 * the next read sees.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

describe('recently closed documents', () => {
  let t: TestServer;
  let storeLoads = 0;

  beforeAll(async () => {
    t = await startTestServer();
    // Counts reads of documents from storage (the real store, only observed).
    const store = t.server.database.documents;
    const load = store.load.bind(store);
    store.load = (name) => {
      storeLoads += 1;
      return load(name);
    };
  }, 60_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  const ref = { projectId: 'recent', documentId: 'chapter' };
  const name = 'recent/chapter';

  async function writeAndLeave(text: string): Promise<void> {
    const client = connectClient(t.wsUrl, name, await t.token('alice', { recent: 'editor' }));
    await client.synced;
    typeInto(client.ydoc, text);
    await vi.waitFor(() => expect(client.provider.hasUnsyncedChanges).toBe(false));
    client.destroy();
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.documents.has(name)).toBe(false), { timeout: 10_000 });
  }

  it('reads a document closed a moment ago without reading storage, and sees a later edit', async () => {
    await writeAndLeave('first draft');
    const loadsAfterFirst = storeLoads;
    expect(await t.server.liveDocuments.read(ref, textOf)).toBe('first draft');
    expect(textOf(await t.server.liveDocuments.snapshot(ref))).toBe('first draft');
    expect(storeLoads).toBe(loadsAfterFirst);
    // What storage holds is the same text (the closed state is the stored one).
    const stored = await t.server.database.documents.load(name);
    expect(stored.updates).toHaveLength(0);

    // Loading the document again drops the closed state; its next unload keeps the new one.
    await writeAndLeave(' revised');
    const text = await t.server.liveDocuments.read(ref, textOf);
    expect(text).toContain('first draft');
    expect(text).toContain('revised');

    // A server-side edit loads the document too: the next read sees it.
    await t.server.liveDocuments.transact(ref, { userId: 'restorer', reason: 'test' }, (doc) => {
      const fragment = doc.getXmlFragment('default');
      fragment.delete(0, fragment.length);
    });
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.documents.has(name)).toBe(false), { timeout: 10_000 });
    expect(await t.server.liveDocuments.read(ref, textOf)).toBe('');
  });
});
