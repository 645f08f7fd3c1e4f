import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES } from '../../src/auth/identity.js';
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
});
