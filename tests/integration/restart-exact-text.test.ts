import { afterAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createClient, type StoryloomClient, type StoryloomDocument } from '../../client-sdk/src/index.js';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { uniqueName } from '../helpers/services.js';
import { startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

/**
 * The browser demo's "server down" scenario without the browser: two SDK clients (shared socket,
 * reconnecting provider, the same Y.Doc throughout) type one character per transaction, the server
 * stops gracefully and starts again on the same port and DATA_DIR, one client types while it is
 * away. Every character, spaces at a paragraph's end included, must be there afterwards: in both
 * clients and in what the database holds, exactly, not merely the same in both clients.
 */
const eventually = (check: () => unknown, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 25 });

const OPENING = [
  'It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife.',
  'However little known the feelings or views of such a man may be on his first entering a neighbourhood.',
  '“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield Park is let at last?”',
  'Mr. Bennet replied that he had not.',
  '“But it is,” returned she; “for Mrs. Long has just been here, and she told me all about it.”',
  'Mr. Bennet made no answer.',
];

/** One transaction per character, as a ProseMirror binding does for keyboard input. */
async function typeSlowly(doc: StoryloomDocument, text: string, paragraph: number): Promise<void> {
  for (const ch of text) {
    typeInto(doc.ydoc, ch, paragraph);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function storedText(dataDir: string, documentName: string): Promise<string> {
  const db = await createDatabase({ dataDir, logger: createLogger({ level: 'silent' }) });
  try {
    const stored = await db.documents.load(documentName);
    const ydoc = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(ydoc, stored.snapshot);
    for (const row of stored.updates) Y.applyUpdate(ydoc, row.update);
    return textOf(ydoc);
  } finally {
    await db.close();
  }
}

describe('restart on the same port and data dir keeps every character', () => {
  let t: TestServer | undefined;
  let restarted: TestServer | undefined;
  const clients: StoryloomClient[] = [];

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await restarted?.close();
    await t?.cleanup();
  });

  it('has the exact text in both clients and on disk after the restart', async () => {
    t = await startTestServer();
    const project = uniqueName('restart').replace(/_/g, '-');
    const name = `${project}/chapter-1`;
    const server = t;
    const connect = (user: string) => {
      const client = createClient({ url: server.httpUrl, getToken: () => server.token(user, { [project]: 'editor' }) });
      clients.push(client);
      return client.document(name);
    };
    const alice = connect('alice');
    await alice.synced;
    alice.ydoc.transact(() => OPENING.forEach((p, i) => typeInto(alice.ydoc, p, i)));
    const bob = connect('bob');
    await bob.synced;
    await eventually(() => expect(textOf(bob.ydoc)).toBe(OPENING.join('\n')));

    await typeSlowly(alice, ' Alice was here.', 0);
    await typeSlowly(bob, ' Bob wrote this.', 5);
    const expected = [...OPENING];
    expected[0] += ' Alice was here.';
    expected[5] += ' Bob wrote this.';
    await eventually(() => {
      expect(textOf(alice.ydoc)).toBe(expected.join('\n'));
      expect(textOf(bob.ydoc)).toBe(expected.join('\n'));
      expect(alice.provider.unsyncedChanges + bob.provider.unsyncedChanges).toBe(0);
    });

    // Graceful stop: the clients stay open and keep retrying; what is on disk is everything.
    await t.close();
    expect(await storedText(t.dataDir, name)).toBe(expected.join('\n'));
    await eventually(() => expect(alice.provider.configuration.websocketProvider.status).not.toBe('connected'));
    await typeSlowly(alice, ' Written offline.', 3);
    expected[3] += ' Written offline.';

    restarted = await startTestServer({ PORT: String(t.port), DATA_DIR: t.dataDir });
    await eventually(() => {
      expect(textOf(bob.ydoc)).toBe(expected.join('\n'));
      expect(textOf(alice.ydoc)).toBe(expected.join('\n'));
      expect(alice.provider.unsyncedChanges + bob.provider.unsyncedChanges).toBe(0);
    }, 45_000);
    await restarted.close();
    expect(await storedText(t.dataDir, name)).toBe(expected.join('\n'));
  }, 120_000);
});
