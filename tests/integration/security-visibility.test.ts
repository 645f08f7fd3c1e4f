import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEvent, type StoryloomEvent } from '../../src/events/schema.js';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 50 });

/**
 * Issue 13, hole 4 (REST and the audit archive): one visibility rule for a writer's numbers
 * (src/lib/visibility.ts). Co-writers and readers see presence and their own numbers; only
 * the project's owners (and admins) see everyone's.
 */
describe('security: writers’ numbers on REST and in the archive', () => {
  let t: TestServer;
  const project = uniqueName('vis').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const roles = { olga: 'owner', alice: 'editor', bob: 'editor', rita: 'reader' } as const;
  const user = (name: keyof typeof roles) => `${name}-${project}`;
  const tokenOf = (name: keyof typeof roles) => t.token(user(name), { [project]: roles[name] });
  const clients: TestClient[] = [];

  beforeAll(async () => {
    t = await startTestServer();
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  const get = async <T>(path: string, name: keyof typeof roles) => {
    const res = await fetch(`${t.httpUrl}${path}`, { headers: { authorization: `Bearer ${await tokenOf(name)}` } });
    return { status: res.status, body: (await res.json()) as T };
  };

  it('collaborators: non-owners see presence and their own contribution, never another writer’s words', async () => {
    const alice = connectClient(t.wsUrl, docName, await tokenOf('alice'));
    const bob = connectClient(t.wsUrl, docName, await tokenOf('bob'));
    clients.push(alice, bob);
    await Promise.all([alice.synced, bob.synced]);
    for (const ch of 'alice writes here ') typeInto(alice.ydoc, ch, 0);
    await eventually(() => expect(textOf(bob.ydoc)).toBe('alice writes here '));

    const path = `/api/realtime/collaboration/document/${encodeURIComponent(docName)}/collaborators`;
    type View = { collaborators: { userId: string }[]; contributions: Record<string, { words: { added: number } }> };
    await eventually(async () => {
      await t.server.writing!.flush();
      const owner = await get<View>(path, 'olga');
      expect(owner.body.contributions[user('alice')]?.words.added).toBeGreaterThan(0);
    });
    for (const name of ['bob', 'rita'] as const) {
      const view = await get<View>(path, name);
      expect(view.status).toBe(200);
      // Presence (the collaborators list) stays; numbers only for oneself.
      expect(Object.keys(view.body.contributions).filter((k) => k !== user(name)), name).toEqual([]);
    }
    const own = await get<View>(path, 'alice');
    expect(own.body.contributions[user('alice')]?.words.added).toBeGreaterThan(0);
  });

  it('archive: non-owners get project-level events and their own writing events, not other writers’', async () => {
    const words = (name: keyof typeof roles) =>
      createEvent('writing.words_written', {
        actor: t.server.actorOf(user(name)),
        projectId: project,
        documentId: 'chapter-2',
        payload: { sessionId: `s-${name}`, added: 5, removed: 0, net: 5 },
      }) as StoryloomEvent;
    const joined = createEvent('collaboration.user_joined', {
      actor: t.server.actorOf(user('alice')),
      projectId: project,
      documentId: 'chapter-2',
      payload: { role: 'editor' },
    } as Parameters<typeof createEvent>[1]) as StoryloomEvent;
    await t.server.database.events.append([words('alice'), words('bob'), joined]);

    type Page = { items: StoryloomEvent[] };
    const sessionsOf = (page: Page) => page.items.filter((e) => e.documentId === 'chapter-2').map((e) => (e.payload as { sessionId: string }).sessionId).sort();
    const owner = await get<Page>(`/api/realtime/events/writing?projectId=${project}`, 'olga');
    expect(sessionsOf(owner.body)).toEqual(['s-alice', 's-bob']);
    const bob = await get<Page>(`/api/realtime/events/writing?projectId=${project}`, 'bob');
    expect(bob.status).toBe(200);
    expect(sessionsOf(bob.body)).toEqual(['s-bob']);
    const rita = await get<Page>(`/api/realtime/events/writing?projectId=${project}&type=writing.words_written`, 'rita');
    expect(sessionsOf(rita.body)).toEqual([]);
    // Project-level categories are unchanged for every member.
    const collab = await get<Page>(`/api/realtime/events/collaboration?projectId=${project}`, 'rita');
    expect(collab.body.items.map((e) => e.id)).toContain(joined.id);
  });
});
