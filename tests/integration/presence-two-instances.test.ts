import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Role } from '../../src/lib/identity.js';
import { signToken } from '../../src/auth/tokens.js';
import { startTwoInstances, type ServerProcess, type TwoInstances } from '../helpers/server-process.js';
import { setCursor, watchConflicts } from '../helpers/presence-client.js';
import { serviceAvailable, uniqueName } from '../helpers/services.js';
import { TEST_SECRET, connectClient, textOf, typeInto, type TestClient } from '../helpers/test-server.js';

const runs = serviceAvailable('postgres') && serviceAvailable('redis');

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 15_000, interval: 50 });

/**
 * Conflict prediction across two server processes (Postgres + Redis): each instance learns of
 * the other's writers through the awareness Redis relays (user and canEdit stamped by the
 * instance they are connected to) and warns its own connections.
 */
describe.skipIf(!runs)('conflict prediction across two instances', () => {
  let servers: TwoInstances | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  const clients: TestClient[] = [];
  const project = uniqueName('px').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;

  beforeAll(async () => {
    servers = await startTwoInstances();
    ({ a, b } = servers);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await servers?.stop();
  });

  const connect = async (server: ServerProcess, user: string, role: Role) => {
    const token = await signToken(TEST_SECRET, { userId: user, name: user, projects: { [project]: role } });
    const client = connectClient(server.wsUrl, docName, token);
    clients.push(client);
    await client.synced;
    return client;
  };

  it('writers on different instances in one paragraph are both warned; a reader never counts', async () => {
    const alice = await connect(a, 'alice', 'owner');
    for (let i = 0; i < 4; i++) typeInto(alice.ydoc, `Paragraph ${i}.`, i);
    const bob = await connect(b, 'bob', 'editor');
    const carol = await connect(b, 'carol', 'reader');
    await eventually(() => expect(textOf(bob.ydoc)).toBe(textOf(alice.ydoc)));
    const seen = { alice: watchConflicts(alice), bob: watchConflicts(bob), carol: watchConflicts(carol) };

    // The reader sits in paragraph 2 claiming to type: never a party to a warning.
    setCursor(carol, 2, 1);
    carol.provider.setAwarenessField('editMode', 'typing');
    setCursor(alice, 2, 2);
    setCursor(bob, 2, 5);
    alice.provider.setAwarenessField('editMode', 'typing');
    bob.provider.setAwarenessField('editMode', 'typing');
    typeInto(alice.ydoc, ' More', 2);
    typeInto(bob.ydoc, ' text', 2);

    await eventually(() => {
      for (const who of ['alice', 'bob'] as const) {
        expect(seen[who].some((m) => m.status === 'predicted' && m.severity === 'high' && m.users.join() === 'alice,bob')).toBe(true);
      }
    });
    for (const list of Object.values(seen)) expect(list.every((m) => !m.users.includes('carol'))).toBe(true);
  });
});
