import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { tapDocument } from '../../src/collab/document-tap.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { JOURNAL_WORDS, type DocumentEdit } from '../../src/tracking/document-edit.js';
import { countWords } from '../../src/tracking/writing/word-count.js';
import { creditWords } from '../../src/tracking/writing/word-credits.js';
import { SENDER_CLIENT } from '../../src/tracking/writing/word-index-types.js';

/**
 * Issue 20's re-send race: after a crash a provider re-sends everything the server lacks,
 * including another writer's keystroke it received before that keystroke was committed. The
 * journaled words of such an update must go to whoever typed them (their Yjs client id), not to
 * the connection that re-sent them. Real Y.Docs with fixed client ids, the production tap.
 */
const logger = createLogger({ level: 'silent' });
const fromConnection = (userId: string) => ({ source: 'connection', connection: { context: { user: { userId } } } });

function writerDoc(clientID: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  return doc;
}
const textAt = (doc: Y.Doc, i: number) => (doc.getXmlFragment('default').get(i) as Y.XmlElement).get(0) as Y.XmlText;
const sync = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));

/** A server doc with two seeded paragraphs (client 9), and alice (1) and bob (2) synced to it. */
function setup() {
  const server = writerDoc(9);
  server.transact(() => {
    for (let i = 0; i < 2; i++) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText('')]);
      server.getXmlFragment('default').push([p]);
    }
  });
  const alice = writerDoc(1);
  const bob = writerDoc(2);
  sync(server, alice);
  sync(server, bob);
  const edits: DocumentEdit[] = [];
  const writers = new Map([
    [1, 'alice'],
    [2, 'bob'],
  ]);
  tapDocument(server, { projectId: 'p', documentId: 'd' }, { clock: createManualClock(0), logger, consumers: () => [(e) => edits.push(e)], writerOf: (id) => writers.get(id) });
  /** Applies `update` as the persistence extension does: one transaction marked JOURNAL_WORDS. */
  const applyJournaled = (update: Uint8Array, userId: string): DocumentEdit => {
    const seen = edits.length;
    server.transact((tr) => {
      tr.meta.set(JOURNAL_WORDS, true);
      Y.applyUpdate(server, update, fromConnection(userId));
    }, fromConnection(userId));
    // A transaction that changed nothing gives no edit at all: nothing to credit.
    return edits.length > seen ? edits.at(-1)! : ({ words: null } as DocumentEdit);
  };
  return { server, alice, bob, applyJournaled, writers };
}

describe('words credited by the client ids that typed them', () => {
  it('an update with only the sender\'s own items is journaled for the sender, as before', () => {
    const { server, alice, applyJournaled } = setup();
    const before = Y.encodeStateVector(server);
    textAt(alice, 0).insert(0, 'one two three');
    const edit = applyJournaled(Y.encodeStateAsUpdate(alice, before), 'alice');
    expect(edit.wordsJournaled).toBe(true);
    expect(edit.credits).toBeUndefined();
    expect(edit.words?.netWords).toBe(3);
  });

  it('alice re-sending bob\'s unacknowledged words with her own: each is credited their own, the sum is the update\'s', () => {
    const { server, alice, bob, applyJournaled } = setup();
    textAt(alice, 0).insert(0, 'alpha beta');
    textAt(bob, 1).insert(0, 'gamma delta epsilon');
    // Bob's keystrokes reached alice (through the server that then died) but not the restarted server.
    sync(bob, alice);
    const edit = applyJournaled(Y.encodeStateAsUpdate(alice, Y.encodeStateVector(server)), 'alice');
    expect(edit.wordsJournaled).toBeUndefined(); // the log record carries no words: the credits do
    expect(edit.credits).toEqual([
      { userId: 'alice', added: 2, removed: 0, net: 2 },
      { userId: 'bob', added: 3, removed: 0, net: 3 },
    ]);
    // Bob's own re-send is then a no-op: nothing is credited twice.
    const again = server.getXmlFragment('default').toString();
    const n = applyJournaled(Y.encodeStateAsUpdate(bob), 'bob');
    expect(server.getXmlFragment('default').toString()).toBe(again);
    expect(n.words ?? null).toBeNull();
    expect(countWords(textAt(server, 0).toString()) + countWords(textAt(server, 1).toString())).toBe(5);
  });

  it('a client id nobody claimed, and deletions (Yjs keeps no deleter), go to the sender', () => {
    const { server, alice, applyJournaled, writers } = setup();
    writers.delete(1);
    textAt(alice, 0).insert(0, 'one two three four');
    let edit = applyJournaled(Y.encodeStateAsUpdate(alice, Y.encodeStateVector(server)), 'carol');
    expect(edit.credits).toBeUndefined();
    expect(edit.wordsJournaled).toBe(true);
    writers.set(1, 'alice');
    sync(server, alice);
    const before = Y.encodeStateVector(server);
    textAt(alice, 0).delete(0, 8); // "one two " gone: alice's words, deleted through bob's connection
    edit = applyJournaled(Y.encodeStateAsUpdate(alice, before), 'bob');
    expect(edit.wordsJournaled).toBe(true);
    expect(edit.words?.netWords).toBe(-2);
    expect(edit.words?.byClient?.get(SENDER_CLIENT)).toEqual({ added: 0, removed: 2, net: -2 });
  });

  it('creditWords: the parts add up to the transaction\'s words; without byClient all is the sender\'s', () => {
    const words = { insertedChars: 0, deletedChars: 0, netWords: 1, wordsAdded: 4, wordsRemoved: 3, paragraphsTouched: [] };
    expect(creditWords(words, 'alice', () => 'bob')).toEqual([{ userId: 'alice', added: 4, removed: 3, net: 1 }]);
    const split = creditWords(
      { ...words, byClient: new Map([[7, { added: 4, removed: 0, net: 4 }], [SENDER_CLIENT, { added: 0, removed: 3, net: -3 }]]) },
      'alice',
      (id) => (id === 7 ? 'bob' : undefined),
    );
    expect(split).toEqual([
      { userId: 'alice', added: 0, removed: 3, net: -3 },
      { userId: 'bob', added: 4, removed: 0, net: 4 },
    ]);
  });
});
