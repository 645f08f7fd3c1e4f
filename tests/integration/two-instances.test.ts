import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../src/auth/tokens.js';
import { serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTwoInstances, type ServerProcess, type TwoInstances } from '../helpers/server-process.js';
import { TEST_SECRET, connectClient, textOf, typeInto } from '../helpers/test-server.js';

const runs = serviceAvailable('postgres') && serviceAvailable('redis');

/** Two server processes on different ports sharing one Postgres and one Redis. */
describe.skipIf(!runs)('two instances behind Redis', () => {
  let servers: TwoInstances | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  let db: TwoInstances['db'];
  beforeAll(async () => {
    servers = await startTwoInstances();
    ({ a, b, db } = servers);
  }, 60_000);
  afterAll(async () => {
    await servers?.stop();
  });

  const token = (user: string, name: string) => signToken(TEST_SECRET, { userId: user, name, projects: { saga: 'editor' } });

  it('an edit on A reaches B, awareness crosses over, and the update is stored once', async () => {
    const doc = `saga/${uniqueName('multi')}`;
    const alice = connectClient(a.wsUrl, doc, await token('alice', 'Alice'));
    const bob = connectClient(b.wsUrl, doc, await token('bob', 'Bob'));
    await Promise.all([alice.synced, bob.synced]);

    const words = ['Reader,', ' I', ' married', ' him.', ' '];
    for (const w of words) typeInto(alice.ydoc, w);
    await vi.waitFor(() => expect(textOf(bob.ydoc)).toBe(words.join('')), { timeout: 10_000 });
    typeInto(bob.ydoc, 'A quiet wedding.');
    await vi.waitFor(() => expect(textOf(alice.ydoc)).toBe(`${words.join('')}A quiet wedding.`), { timeout: 10_000 });

    alice.provider.setAwarenessField('cursor', { anchor: 1, head: 1 });
    await vi.waitFor(
      () => {
        const state = bob.provider.awareness!.getStates().get(alice.ydoc.clientID) as { user?: { name: string }; cursor?: unknown } | undefined;
        expect(state?.user?.name).toBe('Alice');
        expect(state?.cursor).toEqual({ anchor: 1, head: 1 });
      },
      { timeout: 10_000 },
    );

    await vi.waitFor(() => expect(alice.provider.unsyncedChanges + bob.provider.unsyncedChanges).toBe(0));
    const sql = postgres(db.url, { max: 1 });
    try {
      const rows = await sql<{ user_id: string; n: number }[]>`
        select user_id, count(*)::int as n from document_updates where document_name = ${doc} group by user_id order by user_id`;
      // One log row per transaction, written by the instance that received it, never by the
      // instance that heard of it through Redis.
      expect(rows).toEqual([
        { user_id: 'alice', n: words.length },
        { user_id: 'bob', n: 1 },
      ]);
    } finally {
      await sql.end();
    }
    alice.destroy();
    bob.destroy();
  });
});
