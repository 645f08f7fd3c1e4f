import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestClient, type TestServer } from '../helpers/test-server.js';

interface ContributionView {
  chars: number;
  share: number;
  words: { added: number; removed: number; net: number };
  activeMinutes: number;
}

const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 10_000, interval: 50 });

/** Types `text` one character per transaction, as an editor does. */
function typeSlowly(client: TestClient, text: string, paragraph: number): void {
  for (const ch of text) typeInto(client.ydoc, ch, paragraph);
}

describe('contributions per collaborator', () => {
  let t: TestServer;
  const project = uniqueName('pc').replace(/_/g, '-');
  const docName = `${project}/chapter-1`;
  const clients: TestClient[] = [];
  const roles = { alice: 'owner', bob: 'editor', carol: 'reader' } as const;
  const tokenOf = (user: keyof typeof roles) => t.token(user, { [project]: roles[user] });
  const connect = async (user: keyof typeof roles) => {
    const client = connectClient(t.wsUrl, docName, await tokenOf(user));
    clients.push(client);
    await client.synced;
    return client;
  };
  const contributions = async () => {
    const res = await fetch(`${t.httpUrl}/api/realtime/collaboration/document/${encodeURIComponent(docName)}/collaborators`, {
      headers: { authorization: `Bearer ${await tokenOf('alice')}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { contributions: Record<string, ContributionView> }).contributions;
  };

  beforeAll(async () => {
    t = await startTestServer();
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await eventually(() => expect(t.server.collaboration.hocuspocus.getDocumentsCount()).toBe(0));
    await t.cleanup();
  });

  it('shows each writer’s stored words, active minutes and surviving share', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    typeSlowly(alice, 'The quick brown fox ', 0);
    await eventually(() => expect(textOf(bob.ydoc)).toBe('The quick brown fox '));
    typeSlowly(bob, 'jumps over the lazy dog ', 1);
    await eventually(() => expect(textOf(alice.ydoc)).toBe('The quick brown fox \njumps over the lazy dog '));

    await eventually(async () => {
      await t.server.writing!.flush();
      const view = await contributions();
      expect(view.alice?.words.net).toBe(4);
      expect(view.bob?.words.net).toBe(5);
      expect(view.alice?.activeMinutes).toBeGreaterThanOrEqual(1);
      expect(view.bob?.activeMinutes).toBeGreaterThanOrEqual(1);
      expect(view.alice).toMatchObject({ chars: 'The quick brown fox '.length, words: { added: 4, removed: 0 } });
      expect(view.bob).toMatchObject({ chars: 'jumps over the lazy dog '.length, words: { added: 5, removed: 0 } });
      const total = 'The quick brown fox '.length + 'jumps over the lazy dog '.length;
      expect(view.alice!.share).toBeCloseTo(20 / total, 5);
      expect(view.bob!.share).toBeCloseTo(24 / total, 5);
      expect(view.carol).toBeUndefined();
    });
  });

  it('keeps a writer who left in the contributions', async () => {
    const view = async () => {
      const res = await fetch(`${t.httpUrl}/api/realtime/collaboration/document/${encodeURIComponent(docName)}/collaborators`, {
        headers: { authorization: `Bearer ${await tokenOf('alice')}` },
      });
      return (await res.json()) as { collaborators: { userId: string }[]; contributions: Record<string, ContributionView> };
    };
    const bob = clients[1]!;
    bob.provider.setAwarenessField('editMode', 'typing');
    await eventually(async () => expect((await view()).collaborators.map((c) => c.userId)).toContain('bob'));
    bob.destroy();
    await eventually(async () => {
      const body = await view();
      expect(body.collaborators.map((c) => c.userId)).not.toContain('bob');
      expect(body.contributions.bob).toMatchObject({ chars: 24, words: { added: 5, removed: 0, net: 5 } });
    });
  });
});
