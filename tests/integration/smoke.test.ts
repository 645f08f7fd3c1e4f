import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

describe('collaboration smoke', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('two writers (on /collaboration and /ws/collaboration) converge and the text survives a restart', async () => {
    const a = connectClient(t.wsUrl, 'demo/smoke', await t.token('alice', { demo: 'editor' }));
    // The second path Hocuspocus answers on.
    const b = connectClient(t.wsUrl.replace('/collaboration', '/ws/collaboration'), 'demo/smoke', await t.token('bob', { demo: 'owner' }));
    await Promise.all([a.synced, b.synced]);
    typeInto(a.ydoc, 'It is a truth universally acknowledged');
    await vi.waitFor(() => expect(textOf(b.ydoc)).toBe('It is a truth universally acknowledged'));
    await vi.waitFor(() => expect(a.provider.unsyncedChanges).toBe(0));
    a.destroy();
    b.destroy();
    await t.close();
    const again = await startTestServer({ DATA_DIR: t.dataDir });
    try {
      const c = connectClient(again.wsUrl, 'demo/smoke', await again.token('carol', { demo: 'reader' }));
      await c.synced;
      expect(textOf(c.ydoc)).toBe('It is a truth universally acknowledged');
      c.destroy();
    } finally {
      await again.close();
    }
  });
});
