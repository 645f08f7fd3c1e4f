/**
 * LiveDocuments (collab/live-documents.ts): a server-side edit is ONE Yjs update that every
 * connected provider receives, logged with the actor's user id; a snapshot is a detached copy.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';
import { paragraph } from '../helpers/paragraph.js';


describe('live documents', () => {
  let t: TestServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // The log is kept (no compaction while writers are connected) so the test can read it.
    t = await startTestServer({ COMPACT_AFTER_UPDATES: '1000000' });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
  });

  it('applies a transaction as one logged update that both providers receive', async () => {
    const doc = 'live/one';
    const token = await t.token('alice', { live: 'editor' });
    const a = connectClient(t.wsUrl, doc, token);
    const b = connectClient(t.wsUrl, doc, await t.token('bob', { live: 'editor' }));
    clients.push(a, b);
    await Promise.all([a.synced, b.synced]);
    typeInto(a.ydoc, 'typed by alice');
    await vi.waitFor(() => expect(textOf(b.ydoc)).toBe('typed by alice'));
    // Acknowledged means logged (durable acks): only then is the log's length settled.
    await vi.waitFor(() => expect(a.provider.hasUnsyncedChanges).toBe(false));
    const before = (await t.server.database.documents.load(doc)).updates.length;

    await t.server.liveDocuments.transact({ projectId: 'live', documentId: 'one' }, { userId: 'restorer', reason: 'test' }, (ydoc) => {
      const fragment = ydoc.getXmlFragment('default');
      fragment.delete(0, fragment.length);
      fragment.insert(0, [paragraph('first'), paragraph('second')]);
    });

    await vi.waitFor(() => {
      expect(textOf(a.ydoc)).toBe('first\nsecond');
      expect(textOf(b.ydoc)).toBe('first\nsecond');
    });
    // transact resolved after the update was logged: exactly one new row, the actor's.
    const log = (await t.server.database.documents.load(doc)).updates;
    expect(log.length).toBe(before + 1);
    expect(log.at(-1)!.userId).toBe('restorer');
    // The document stays open for its writers.
    expect(t.server.collaboration.hocuspocus.documents.has(doc)).toBe(true);
  });

  it('snapshots an open document and a closed one without loading it', async () => {
    const ref = { projectId: 'live', documentId: 'closed' };
    await t.server.liveDocuments.transact(ref, { userId: 'import', reason: 'test' }, (ydoc) => {
      ydoc.getXmlFragment('default').insert(0, [paragraph('stored text')]);
    });
    await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.documents.has('live/closed')).toBe(false));
    const copy = await t.server.liveDocuments.snapshot(ref);
    expect(textOf(copy)).toBe('stored text');
    expect(t.server.collaboration.hocuspocus.documents.has('live/closed')).toBe(false);
    // A copy: changing it changes nothing stored.
    copy.getXmlFragment('default').delete(0, 1);
    expect(textOf(await t.server.liveDocuments.snapshot(ref))).toBe('stored text');

    const open = await t.server.liveDocuments.snapshot({ projectId: 'live', documentId: 'one' });
    expect(textOf(open)).toBe('first\nsecond');
  });
});
