import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { beforeHandleAwarenessPayload } from '@hocuspocus/server';
import { ROLES, type Identity } from '../../src/lib/identity.js';
import type { CollabContext } from '../../src/collab/context.js';
import { createAwarenessIdentityExtension } from '../../src/collab/extensions/awareness-identity.js';
import { TEST_SECRET, connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';
import { uniqueName } from '../helpers/services.js';

describe('auth matrix over real providers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  for (const role of ROLES) {
    const writes = role === 'owner' || role === 'editor';
    it(`${role} can read${writes ? ' and write' : ' but never write'}`, async () => {
      const doc = `novel/${uniqueName('auth')}`;
      const owner = connectClient(t.wsUrl, doc, await t.token('olivia', { novel: 'owner' }));
      await owner.synced;
      typeInto(owner.ydoc, 'Chapter one. ');
      await vi.waitFor(() => expect(owner.provider.unsyncedChanges).toBe(0));

      const user = connectClient(t.wsUrl, doc, await t.token(`u-${role}`, { novel: role }));
      await user.synced;
      expect(textOf(user.ydoc)).toBe('Chapter one. '); // everyone reads
      expect(user.provider.authorizedScope).toBe(writes ? 'read-write' : 'readonly');

      typeInto(user.ydoc, `${role} was here.`);
      if (writes) {
        await vi.waitFor(() => expect(textOf(owner.ydoc)).toBe(`Chapter one. ${role} was here.`));
      } else {
        // A marker written after the refused edit: once it arrives, the refused edit had its chance.
        typeInto(owner.ydoc, 'Marker.');
        await vi.waitFor(() => expect(textOf(user.ydoc)).toContain('Marker.'));
        expect(textOf(owner.ydoc)).toBe('Chapter one. Marker.');
      }
      owner.destroy();
      user.destroy();

      // What is stored agrees: reopen through a fresh reader.
      await vi.waitFor(async () => {
        const reader = connectClient(t.wsUrl, doc, await t.token('rita', { novel: 'reader' }));
        try {
          await reader.synced;
          expect(textOf(reader.ydoc).includes(`${role} was here.`)).toBe(writes);
        } finally {
          reader.destroy();
        }
      });
    });
  }

  it('refuses a user with no role in the project: forbidden', async () => {
    const c = connectClient(t.wsUrl, 'novel/x', await t.token('mallory', { other: 'owner' }));
    expect(await c.refused).toBe('forbidden');
    c.destroy();
  });

  it('refuses an expired token: unauthorized', async () => {
    const expired = await new SignJWT({ name: 'Old', projects: { novel: 'owner' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('old')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET));
    const c = connectClient(t.wsUrl, 'novel/x', expired);
    expect(await c.refused).toBe('unauthorized');
    c.destroy();
  });

  it('refuses a token signed with another secret: unauthorized', async () => {
    const forged = await new SignJWT({ name: 'Eve', projects: { novel: 'owner' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    const c = connectClient(t.wsUrl, 'novel/x', forged);
    expect(await c.refused).toBe('unauthorized');
    c.destroy();
  });

  it('refuses a token without exp: unauthorized', async () => {
    const eternal = await new SignJWT({ name: 'Eve', projects: { novel: 'owner' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .sign(new TextEncoder().encode(TEST_SECRET));
    const c = connectClient(t.wsUrl, 'novel/x', eternal);
    expect(await c.refused).toBe('unauthorized');
    c.destroy();
  });

  it('refuses a missing token: unauthorized', async () => {
    const c = connectClient(t.wsUrl, 'novel/x', '');
    expect(await c.refused).toBe('unauthorized');
    c.destroy();
  });

  for (const bad of ['novel', 'novel/', '/doc', 'novel/a/b', 'nov el/doc', `novel/${'x'.repeat(65)}`]) {
    it(`refuses the document name ${JSON.stringify(bad.slice(0, 20))}: invalid-document-name`, async () => {
      const c = connectClient(t.wsUrl, bad, await t.token('olivia', { novel: 'owner' }));
      expect(await c.refused).toBe('invalid-document-name');
      c.destroy();
    });
  }

  it('overwrites a spoofed name in awareness with the authenticated identity', async () => {
    const doc = `novel/${uniqueName('aw')}`;
    const mallory = connectClient(t.wsUrl, doc, await t.token('mallory', { novel: 'editor' }, { name: 'Mallory' }));
    const alice = connectClient(t.wsUrl, doc, await t.token('alice', { novel: 'editor' }, { name: 'Alice' }));
    await Promise.all([mallory.synced, alice.synced]);
    mallory.provider.setAwarenessField('user', { id: 'alice', name: 'Alice', color: '#000000' });
    mallory.provider.setAwarenessField('cursor', null);
    await vi.waitFor(() => {
      const seen = alice.provider.awareness!.getStates().get(mallory.ydoc.clientID) as { user?: { id: string; name: string } } | undefined;
      expect(seen?.user).toMatchObject({ id: 'mallory', name: 'Mallory' });
    });
    mallory.destroy();
    alice.destroy();
  });

  it('forwards no first, empty awareness state (y-protocols clock 0): a client shows up once it sets a field', async () => {
    const doc = `novel/${uniqueName('aw-empty')}`;
    const quiet = connectClient(t.wsUrl, doc, await t.token('quentin', { novel: 'editor' }, { name: 'Quentin' }));
    const watcher = connectClient(t.wsUrl, doc, await t.token('wanda', { novel: 'editor' }));
    await Promise.all([quiet.synced, watcher.synced]);
    const firstSeen: unknown[] = [];
    watcher.provider.awareness!.on('change', () => {
      const state = watcher.provider.awareness!.getStates().get(quiet.ydoc.clientID);
      if (state && firstSeen.length === 0) firstSeen.push(structuredClone(state));
    });
    // The empty state went out with the sync; an edit sent after it has made the round trip.
    typeInto(quiet.ydoc, 'Marker.');
    await vi.waitFor(() => expect(textOf(watcher.ydoc)).toBe('Marker.'));
    expect(watcher.provider.awareness!.getStates().has(quiet.ydoc.clientID)).toBe(false);

    quiet.provider.setAwarenessField('editMode', 'idle');
    await vi.waitFor(() => expect(firstSeen).toHaveLength(1));
    expect(firstSeen[0]).toMatchObject({ editMode: 'idle', user: { id: 'quentin', name: 'Quentin' } });
    quiet.destroy();
    watcher.destroy();
  });
});

describe('awareness identity extension', () => {
  const identity = (userId: string): Identity => ({ userId, name: userId, color: '#000000', projects: { novel: 'editor' }, admin: false, expiresAt: Date.now() + 60_000 });

  /** What Hocuspocus does with an awareness message: decode it into a scratch Awareness, run the hook. */
  async function receive(ext: ReturnType<typeof createAwarenessIdentityExtension>, socketId: string, userId: string, update: Uint8Array, scratchClientId: number) {
    const scratchDoc = new Y.Doc();
    scratchDoc.clientID = scratchClientId;
    const scratch = new Awareness(scratchDoc);
    try {
      applyAwarenessUpdate(scratch, update, null);
      const states = scratch.getStates();
      const context: CollabContext = { user: identity(userId), role: 'editor' };
      await ext.beforeHandleAwareness!({ states, context, socketId, documentName: 'novel/x' } as unknown as beforeHandleAwarenessPayload<CollabContext>);
      return new Map(states);
    } finally {
      scratch.destroy();
    }
  }

  function stateOf(clientId: number, state: Record<string, unknown>): Uint8Array {
    const doc = new Y.Doc();
    doc.clientID = clientId;
    const awareness = new Awareness(doc);
    awareness.setLocalState(state);
    const update = encodeAwarenessUpdate(awareness, [clientId]);
    awareness.destroy();
    return update;
  }

  it('never claims the scratch awareness own empty state for the sending socket', async () => {
    const ext = createAwarenessIdentityExtension();
    // Socket A's message is decoded into a scratch Awareness whose own client id is 777.
    const fromA = await receive(ext, 'socket-a', 'alice', stateOf(1, { editMode: 'typing' }), 777);
    expect(fromA.get(1)).toMatchObject({ user: { id: 'alice' } });
    // A later client of socket B happens to have id 777: it is not taken.
    const fromB = await receive(ext, 'socket-b', 'bob', stateOf(777, { editMode: 'idle' }), 888);
    expect(fromB.get(777)).toMatchObject({ editMode: 'idle', user: { id: 'bob' } });
    // Real claims still hold: B cannot speak for A's client 1.
    const spoof = await receive(ext, 'socket-b', 'bob', stateOf(1, { editMode: 'idle' }), 889);
    expect(spoof.has(1)).toBe(false);
  });
});

