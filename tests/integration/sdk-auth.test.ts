import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { createClient, type NotificationMessage, type StoryloomClient, type StoryloomError } from '../../client-sdk/src/index.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 50 });

describe('SDK tokens (real server)', () => {
  let t: TestServer;
  const project = uniqueName('auth').replace(/_/g, '-');
  const name = `${project}/chapter-1`;
  const clients: StoryloomClient[] = [];
  const track = (c: StoryloomClient) => (clients.push(c), c);

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.cleanup();
  });

  it('calls getToken again before a short-lived token expires, and everything keeps working past its expiry', async () => {
    const issued: { at: number; token: string }[] = [];
    const errors: StoryloomError[] = [];
    const alice = track(
      createClient({
        url: t.httpUrl,
        onError: (e) => errors.push(e),
        getToken: async () => {
          const token = await t.token('alice', { [project]: 'owner' }, { expiresInSeconds: 3 });
          issued.push({ at: Date.now(), token });
          return token;
        },
      }),
    );
    const bob = track(createClient({ url: t.httpUrl, getToken: () => t.token('bob', { [project]: 'editor' }) }));
    const docA = alice.document(name);
    const docB = bob.document(name);
    await Promise.all([docA.synced, docB.synced]);
    const received: NotificationMessage[] = [];
    const subscription = alice.notifications.subscribe((m) => received.push(m));
    await subscription.ready;
    const first = alice.identity()!;

    // Refreshed before each expiry: the second token arrives while the first is still valid.
    await eventually(() => expect(issued.length).toBeGreaterThanOrEqual(3));
    expect(issued[1]!.at).toBeLessThan(first.expiresAt);
    await eventually(() => expect(Date.now()).toBeGreaterThan(first.expiresAt + 500));

    // Collaboration goes on, also after the shared socket reconnects (with the current token).
    typeInto(docA.ydoc, 'Written after the first token expired.');
    await eventually(() => expect(textOf(docB.ydoc)).toContain('after the first token expired'));
    // A dropped connection: the provider reconnects by itself and sends the current token again.
    const socket = docA.provider.configuration.websocketProvider;
    const authenticatedAgain = new Promise<void>((resolve) => docA.provider.on('authenticated', () => resolve()));
    socket.webSocket!.close();
    await authenticatedAgain;
    typeInto(docB.ydoc, ' And after a reconnect.');
    await eventually(() => expect(textOf(docA.ydoc)).toContain('after a reconnect'));

    // The gateway closes a socket when its token expires; the SDK reconnects with a fresh token
    // and re-subscribes, so notifications still arrive.
    const admin = track(createClient({ url: t.httpUrl, getToken: () => t.token('ops', {}, { admin: true }) }));
    await eventually(async () => {
      await admin.api.broadcast({ path: 'notifications', channel: 'user:alice', data: { kind: 'ping', n: received.length } });
      expect(received.length).toBeGreaterThan(0);
    });
    expect(received[0]).toMatchObject({ channel: 'user:alice', data: { kind: 'ping' } });
    expect(errors).toEqual([]);
    subscription();
  }, 40_000);

  it('refreshes an expired token, then fails with a clear unauthorized error when the fresh one is bad too', async () => {
    const expired = await t.token('alice', { [project]: 'owner' }, { expiresInSeconds: -7200 });
    const forged = await signToken('not-the-server-secret-0123456789abcdef', { userId: 'alice', name: 'alice', projects: { [project]: 'owner' } });
    const handed: string[] = [];
    const errors: StoryloomError[] = [];
    const client = track(
      createClient({
        url: t.httpUrl,
        onError: (e) => errors.push(e),
        getToken: () => {
          const token = handed.length === 0 ? expired : forged;
          handed.push(token);
          return token;
        },
      }),
    );
    const doc = client.document(name);
    const error = (await doc.synced.catch((e: unknown) => e)) as StoryloomError;
    expect(error).toMatchObject({ name: 'StoryloomError', code: 'unauthorized', details: { document: name } });
    // expired -> asked again at once; forged refused by the server -> asked once more; refused again.
    expect(handed).toEqual([expired, forged, forged]);
    expect(errors.map((e) => e.code)).toContain('unauthorized');
    doc.destroy();
  });

  it('refuses an expired static token before connecting, with a typed error', async () => {
    const expired = await t.token('alice', { [project]: 'owner' }, { expiresInSeconds: -7200 });
    const errors: StoryloomError[] = [];
    const client = track(createClient({ url: t.httpUrl, token: expired, onError: (e) => errors.push(e) }));
    await expect(client.ready).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired at/) });
    const doc = client.document(name);
    await expect(doc.synced).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(client.api.getWritingPreferences()).rejects.toMatchObject({ code: 'unauthorized' });
    const subscription = client.notifications.subscribe(() => undefined, { onError: (e) => errors.push(e) });
    await expect(subscription.ready).rejects.toMatchObject({ code: 'unauthorized' });
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});
