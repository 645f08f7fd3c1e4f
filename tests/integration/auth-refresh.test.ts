import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 50 });

/** Re-sends a token on an open connection, as the SDK does after a scheduled refresh. */
async function refresh(client: TestClient, token: string): Promise<void> {
  client.provider.configuration.token = token;
  await client.provider.sendToken();
}

/** Whether the client's socket is still open `ms` from now (false as soon as it closes). */
function stillOpenAfter(client: TestClient, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

/** The `exp` of a token in milliseconds (decoded, not verified). */
const expiryOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

describe('collaboration re-authentication (onTokenSync) and token expiry', () => {
  let t: TestServer;
  const clients: TestClient[] = [];
  const open = (doc: string, token: string) => {
    const c = connectClient(t.wsUrl, doc, token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.cleanup();
  });

  it('a refreshed token keeps the connection open past the first token expiry', async () => {
    const doc = `novel/${uniqueName('refresh')}`;
    const first = await t.token('alice', { novel: 'editor' }, { expiresInSeconds: 2 });
    const alice = open(doc, first);
    const bob = open(doc, await t.token('bob', { novel: 'editor' }));
    await Promise.all([alice.synced, bob.synced]);
    await refresh(alice, await t.token('alice', { novel: 'editor' }, { expiresInSeconds: 3600 }));

    expect(await stillOpenAfter(alice, expiryOf(first) - Date.now() + 1_000)).toBe(true);
    expect(alice.provider.authorizedScope).toBe('read-write');
    typeInto(alice.ydoc, 'Still writing after the first token expired.');
    await eventually(() => expect(textOf(bob.ydoc)).toBe('Still writing after the first token expired.'));
  });

  // A refused refresh ends the connection with the refusal's close code, whatever was wrong.
  it.each([
    {
      why: 'is forged',
      slug: 'forged',
      token: () => signToken('not-the-server-secret-0123456789abcdef', { userId: 'alice', name: 'alice', projects: { novel: 'owner' } }),
      closed: { code: 4401, reason: 'unauthorized' },
    },
    { why: 'is for another user', slug: 'other-user', token: () => t.token('mallory', { novel: 'owner' }), closed: { code: 4401, reason: 'unauthorized' } },
    { why: 'has no role in the project', slug: 'no-role', token: () => t.token('alice', { other: 'owner' }), closed: { code: 4403, reason: 'forbidden' } },
  ])('closes the connection with $closed.code when the refreshed token $why', async ({ slug, token, closed }) => {
    const doc = `novel/${uniqueName(slug)}`;
    const alice = open(doc, await t.token('alice', { novel: 'editor' }));
    await alice.synced;
    await refresh(alice, await token());
    expect(await alice.closed).toEqual(closed);
  });

  it('switches a connection to read-only when the refreshed token demotes the user', async () => {
    const doc = `novel/${uniqueName('demote')}`;
    const alice = open(doc, await t.token('alice', { novel: 'editor' }));
    const owner = open(doc, await t.token('olivia', { novel: 'owner' }));
    await Promise.all([alice.synced, owner.synced]);

    await refresh(alice, await t.token('alice', { novel: 'reader' }));
    await eventually(() => expect(alice.provider.authorizedScope).toBe('readonly'));
    typeInto(alice.ydoc, 'Refused. ');
    // A marker written after the refused edit: once it arrives, the refused edit had its chance.
    typeInto(owner.ydoc, 'Marker.', 1);
    await eventually(() => expect(textOf(alice.ydoc)).toContain('Marker.'));
    expect(textOf(owner.ydoc)).not.toContain('Refused.');
    expect(await stillOpenAfter(alice, 0)).toBe(true);
  });

  it('lets a reader write once the refreshed token promotes them to editor', async () => {
    // No refused local edits here: Yjs updates build on each other, so a client that wrote while
    // read-only must resync (reconnect) before its later edits can apply.
    const doc = `novel/${uniqueName('promote')}`;
    const alice = open(doc, await t.token('alice', { novel: 'reader' }));
    const owner = open(doc, await t.token('olivia', { novel: 'owner' }));
    await Promise.all([alice.synced, owner.synced]);
    expect(alice.provider.authorizedScope).toBe('readonly');

    await refresh(alice, await t.token('alice', { novel: 'editor' }));
    await eventually(() => expect(alice.provider.authorizedScope).toBe('read-write'));
    typeInto(alice.ydoc, 'Allowed now.');
    await eventually(() => expect(textOf(owner.ydoc)).toBe('Allowed now.'));
  });

  it('closes a connection whose token expires without a refresh, with 4401; the others keep working', async () => {
    const doc = `novel/${uniqueName('expiry')}`;
    const short = await t.token('alice', { novel: 'editor' }, { expiresInSeconds: 2 });
    const alice = open(doc, short);
    const bob = open(doc, await t.token('bob', { novel: 'editor' }));
    const carol = open(doc, await t.token('carol', { novel: 'reader' }));
    await Promise.all([alice.synced, bob.synced, carol.synced]);

    const closed = await alice.closed;
    expect(closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(short) - 50);

    typeInto(bob.ydoc, 'Bob goes on.');
    await eventually(() => expect(textOf(carol.ydoc)).toBe('Bob goes on.'));
    expect(await stillOpenAfter(bob, 0)).toBe(true);
  });
});
