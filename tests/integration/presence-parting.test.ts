/**
 * Conflict warnings clear when writers part (issue: "Conflict warnings that clear when writers
 * part"). Two real providers type in one paragraph until warned, then move seven paragraphs
 * apart and type there: the warning must be gone from the stateless messages and from REST
 * within 5 s of their first keystrokes in the new places (it used to outlive them by ~20 s).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setCursor, watchConflicts } from '../helpers/presence-client.js';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 25 });

describe('conflict warnings clear when writers part', () => {
  let t: TestServer;
  const project = uniqueName('part').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const clients: TestClient[] = [];

  const connect = async (user: string) => {
    const client = connectClient(t.wsUrl, docName, await t.token(user, { [project]: 'editor' }));
    clients.push(client);
    await client.synced;
    return client;
  };
  const restConflicts = async () => {
    const token = await t.token('owner', { [project]: 'owner' });
    const res = await fetch(`${t.httpUrl}/api/realtime/collaboration/document/${encodeURIComponent(docName)}/conflicts`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { conflicts: unknown[] }).conflicts;
  };

  beforeAll(async () => {
    t = await startTestServer();
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
  });

  it('raises a high warning naming the shared paragraph, then clears within 5 s of parting', async () => {
    const alice = await connect('alice');
    for (let i = 0; i < 8; i++) typeInto(alice.ydoc, `Paragraph ${i} of the chapter.`, i);
    const bob = await connect('bob');
    await eventually(() => expect(bob.ydoc.getXmlFragment('default').length).toBe(8));
    const seen = { a: watchConflicts(alice), b: watchConflicts(bob) };

    // Both type in paragraph 3 (block index 3) until warned.
    setCursor(alice, 3, 2);
    setCursor(bob, 3, 12);
    await eventually(() => {
      typeInto(alice.ydoc, ' a', 3);
      typeInto(bob.ydoc, ' b', 3);
      expect(seen.a.some((m) => m.status === 'predicted' && m.severity === 'high')).toBe(true);
      expect(seen.b.some((m) => m.status === 'predicted')).toBe(true);
    });
    const raised = seen.a.find((m) => m.status === 'predicted')!;
    // `blocks` names where they overlap, not every block either writer touched.
    expect(raised.blocks).toEqual([3]);

    // They part: alice to paragraph 0, bob to paragraph 7, and both write there.
    setCursor(alice, 0, 0);
    setCursor(bob, 7, 0);
    const partedAt = performance.now();
    typeInto(alice.ydoc, ' Elsewhere.', 0);
    typeInto(bob.ydoc, ' Far away.', 7);
    const typing = setInterval(() => {
      typeInto(alice.ydoc, ' x', 0);
      typeInto(bob.ydoc, ' y', 7);
    }, 300);
    try {
      await eventually(() => {
        expect(seen.a.some((m) => m.status === 'cleared' && m.receivedAt >= partedAt)).toBe(true);
        expect(seen.b.some((m) => m.status === 'cleared' && m.receivedAt >= partedAt)).toBe(true);
      }, 5_000);
    } finally {
      clearInterval(typing);
    }
    const clearedAfterMs = seen.a.find((m) => m.status === 'cleared' && m.receivedAt >= partedAt)!.receivedAt - partedAt;
    console.log(`[parting] warning cleared ${clearedAfterMs.toFixed(0)} ms after the writers parted`);
    expect(clearedAfterMs).toBeLessThan(5_000);
    expect(await restConflicts()).toEqual([]);
    // Apart and still writing: no new warning.
    expect(seen.a.filter((m) => m.status === 'predicted' && m.receivedAt >= partedAt)).toEqual([]);
  }, 40_000);
});
