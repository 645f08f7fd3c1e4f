/**
 * The demo chapter is seeded by the server, not by the first visitor's browser: its words are
 * in the document, and nobody is credited with them (they used to show up as ~120 words
 * "today" for a visitor who typed nothing).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_OPENING } from '../../src/collab/demo-seed.js';
import { connectClient, startTestServer, textOf, type TestClient, type TestServer } from '../helpers/test-server.js';

describe('demo seed', () => {
  let t: TestServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    t = await startTestServer({ DEV_TOKENS: 'true' });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
  });

  it('fills demo/chapter-1 once, as a server-side edit credited to no writer', async () => {
    const alice = connectClient(t.wsUrl, 'demo/chapter-1', await t.token('alice', { demo: 'editor' }));
    clients.push(alice);
    await alice.synced;
    expect(alice.ydoc.getXmlFragment('default').length).toBe(DEMO_OPENING.length);
    expect(textOf(alice.ydoc)).toContain('It is a truth universally acknowledged');
    // Everything the tracker holds reaches storage; the report must credit nobody.
    await t.server.writing!.flush();
    const owner = await t.token('owner', { demo: 'owner' });
    const res = await fetch(`${t.httpUrl}/api/realtime/analytics/project/demo/writing`, { headers: { authorization: `Bearer ${owner}` } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { writers: { userId: string; days: { wordsNet: number }[] }[] };
    const credited = report.writers.map((w) => ({ user: w.userId, words: w.days.reduce((n, d) => n + d.wordsNet, 0) })).filter((w) => w.words !== 0);
    expect(credited).toEqual([]);
  });

  it('does not seed again on a restart (the seed was logged like any edit)', async () => {
    const port = t.port;
    const dataDir = t.dataDir;
    await t.close();
    t = await startTestServer({ DEV_TOKENS: 'true', DATA_DIR: dataDir, PORT: String(port) });
    const bob = connectClient(t.wsUrl, 'demo/chapter-1', await t.token('bob', { demo: 'editor' }));
    clients.push(bob);
    await bob.synced;
    await vi.waitFor(() => expect(bob.ydoc.getXmlFragment('default').length).toBe(DEMO_OPENING.length));
  }, 60_000);
});
