import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, StoryloomError, type ConflictWarning, type PresentWriter, type StoryloomClient, type StoryloomDocument } from '../../client-sdk/src/index.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 25 });

describe('SDK: two clients on one document (real server)', () => {
  let t: TestServer;
  const project = uniqueName('sdk').replace(/_/g, '-');
  const name = `${project}/chapter-1`;
  const clients: StoryloomClient[] = [];
  const errors: StoryloomError[] = [];
  let alice: StoryloomClient;
  let bob: StoryloomClient;
  let docA: StoryloomDocument;
  let docB: StoryloomDocument;

  const connect = (user: string, display: string, role: 'owner' | 'editor' | 'reader') => {
    const client = createClient({ url: t.httpUrl, getToken: () => t.token(user, { [project]: role }, { name: display }), onError: (e) => errors.push(e) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestServer();
    alice = connect('alice', 'Alice Liddell', 'owner');
    bob = connect('bob', 'Bob Cratchit', 'editor');
    docA = alice.document(name);
    docB = bob.document(name);
    await Promise.all([docA.synced, docB.synced]);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  it('validates document names before touching the network', () => {
    for (const bad of ['no-slash', `${project}/`, 'a/b/c', 'a b/c']) {
      expect(() => alice.document(bad)).toThrow(expect.objectContaining({ code: 'invalid-document-name' }));
    }
  });

  it('converges: edits from either client reach the other', async () => {
    for (let i = 0; i < 5; i++) typeInto(docA.ydoc, `Paragraph ${i} of the chapter.`, i);
    await eventually(() => expect(textOf(docB.ydoc)).toBe(textOf(docA.ydoc)));
    typeInto(docB.ydoc, ' Bob was here.', 1);
    await eventually(() => expect(textOf(docA.ydoc)).toContain('Bob was here.'));
    expect(textOf(docA.ydoc)).toBe(textOf(docB.ydoc));
  });

  it('returns another handle on the same live document, released one at a time', async () => {
    const again = alice.document(name);
    expect(again).not.toBe(docA);
    expect(again.ydoc).toBe(docA.ydoc);
    expect(again.provider).toBe(docA.provider);
    await again.synced;
    again.destroy();
    again.destroy(); // idempotent: releases one reference only
    typeInto(docA.ydoc, ' Still live.', 0);
    await eventually(() => expect(textOf(docB.ydoc)).toContain('Still live.'));
  });

  it('lists both writers with server-stamped names in onPresence', async () => {
    let latest: PresentWriter[] = [];
    const off = docA.onPresence((writers) => (latest = writers));
    docB.setEditMode('idle'); // any awareness change makes bob's stamped state reach alice
    await eventually(() => {
      const bobSeen = latest.find((w) => w.user.id === 'bob');
      expect(bobSeen).toMatchObject({ isSelf: false, user: { id: 'bob', name: 'Bob Cratchit' } });
      expect(bobSeen!.user.color).toMatch(/^#[0-9a-f]{6}$/i);
      expect(latest.find((w) => w.isSelf)).toMatchObject({ clientId: docA.ydoc.clientID, user: { id: 'alice', name: 'Alice Liddell' } });
    });
    off();
    docA.setEditMode('idle');
    await eventually(() => expect(docB.presence().find((w) => w.user.id === 'alice')?.user.name).toBe('Alice Liddell'));
  });

  describe('conflict warnings, on a document of their own', () => {
    // chapter-1's earlier edits leave both writers footprints in its first paragraphs (an edit
    // is part of prediction for footprintMs), and a warning raised from them keeps its blocks
    // while raised. Here only alice has written, so the carets alone decide where they meet.
    const seen2: { a: ConflictWarning[]; b: ConflictWarning[] } = { a: [], b: [] };
    const name2 = `${project}/chapter-2`;
    let a2: StoryloomDocument;
    let b2: StoryloomDocument;

    beforeAll(async () => {
      a2 = alice.document(name2);
      b2 = bob.document(name2);
      await Promise.all([a2.synced, b2.synced]);
      a2.onConflict((w) => seen2.a.push(w));
      b2.onConflict((w) => seen2.b.push(w));
      for (let i = 0; i < 5; i++) typeInto(a2.ydoc, `Paragraph ${i} of the second chapter.`, i);
      await eventually(() => expect(textOf(b2.ydoc)).toBe(textOf(a2.ydoc)));
    });

    afterAll(() => {
      a2.destroy();
      b2.destroy();
    });

    it('warns both writers (high) when their carets share a paragraph', async () => {
      a2.setCursor({ block: 2, offset: 3 });
      b2.setCursor({ block: 2, offset: 10 });
      a2.setEditMode('typing');
      b2.setEditMode('typing');
      await eventually(() => {
        expect(seen2.a.find((w) => w.status === 'predicted')).toMatchObject({ severity: 'high', users: ['alice', 'bob'], blocks: [2], document: name2 });
        expect(seen2.b.find((w) => w.status === 'predicted')).toMatchObject({ severity: 'high', users: ['alice', 'bob'] });
      });
      expect(a2.conflicts()).toHaveLength(1);
      await eventually(() => expect(b2.presence().find((w) => w.user.id === 'alice')).toMatchObject({ block: 2, editMode: 'typing' }));
      const rest = await alice.api.conflicts(name2);
      expect(rest.conflicts[0]).toMatchObject({ severity: 'high', users: ['alice', 'bob'] });
    });

    it('clears the warning for both once one caret moves two paragraphs away', async () => {
      b2.setCursor({ block: 4, offset: 0 });
      await eventually(() => {
        expect(seen2.a.some((w) => w.status === 'cleared')).toBe(true);
        expect(seen2.b.some((w) => w.status === 'cleared')).toBe(true);
      }, 20_000);
      expect(a2.conflicts()).toEqual([]);
      expect(b2.conflicts()).toEqual([]);
    }, 30_000);
  });

  it('refuses bad presence values with a typed error', () => {
    expect(() => docA.setViewport(3, 1)).toThrow(expect.objectContaining({ code: 'validation-failed' }));
    expect(() => docA.setEditMode('dancing' as never)).toThrow(StoryloomError);
    expect(() => docA.setTypingVelocity(-1)).toThrow(StoryloomError);
    docA.setViewport(0, 4);
    docA.setTypingVelocity(3.5);
  });

  it('rejects synced with forbidden for a project the token has no role in', async () => {
    const other = alice.document(`${uniqueName('nope').replace(/_/g, '-')}/d`);
    await expect(other.synced).rejects.toMatchObject({ code: 'forbidden' });
    expect(errors.some((e) => e.code === 'forbidden')).toBe(true);
    other.destroy();
    // The shared socket still serves the other documents.
    typeInto(docB.ydoc, ' After the refusal.', 3);
    await eventually(() => expect(textOf(docA.ydoc)).toContain('After the refusal.'));
  });

  it('uses one WebSocket per client for all its documents', async () => {
    const second = alice.document(`${project}/chapter-2`);
    await second.synced;
    expect(second.provider.configuration.websocketProvider).toBe(docA.provider.configuration.websocketProvider);
    second.destroy();
  });
});
