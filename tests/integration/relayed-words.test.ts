import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createRelayedWords } from '../../src/collab/relayed-words.js';
import { createDatabase } from '../../src/db/client.js';
import type { Database, UpdateRecord } from '../../src/db/document-store.js';
import { createManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createClientWriters } from '../../src/services/writing/client-writers.js';
import type { DocumentEdit } from '../../src/tracking/document-edit.js';
import { insertedRanges, type InsertedRange } from '../../src/tracking/update-ranges.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';

/**
 * Issue 20, two instances: an update relayed through Redis before its instance committed it
 * must have its words journaled exactly once, by the origin or by an instance it was relayed to.
 */
const logger = createLogger({ level: 'silent' });

/** The ranges the transaction that applies `update` to `doc` inserted. */
function rangesOfApplying(doc: Y.Doc, update: Uint8Array): InsertedRange[] {
  let ranges: InsertedRange[] = [];
  const listener = (tr: Y.Transaction) => (ranges = insertedRanges(tr));
  doc.on('afterTransaction', listener);
  Y.applyUpdate(doc, update, 'test');
  doc.off('afterTransaction', listener);
  return ranges;
}

describe('inserted ranges', () => {
  it('are equal on the instance a client sent the update to and on one it was relayed to, and a merged re-send spans them', () => {
    const client = new Y.Doc();
    const origin = new Y.Doc();
    const relayedTo = new Y.Doc();
    const restarted = new Y.Doc();
    const relay: Uint8Array[] = [];
    origin.on('update', (u: Uint8Array) => relay.push(u));
    const sent: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => sent.push(u));
    client.getText('t').insert(0, 'hello world');
    client.getText('t').insert(5, ' big');
    const seen: InsertedRange[][] = [];
    for (const update of sent) {
      const atOrigin = rangesOfApplying(origin, update);
      expect(rangesOfApplying(relayedTo, relay.shift()!)).toEqual(atOrigin);
      seen.push(atOrigin);
    }
    const id = client.clientID;
    expect(seen).toEqual([[{ client: id, from: 0, to: 11 }], [{ client: id, from: 11, to: 15 }]]);
    // Applied again: nothing new. Re-sent merged to an instance that has neither: one range over both.
    expect(rangesOfApplying(origin, sent[0]!)).toEqual([]);
    expect(rangesOfApplying(restarted, Y.encodeStateAsUpdate(client))).toEqual([{ client: id, from: 0, to: 15 }]);
  });
});

describe.skipIf(!serviceAvailable('postgres'))('relayed words on Postgres', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = await createDatabase({ databaseUrl: database.url, dataDir: 'unused', logger });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const net = async (project: string) => {
    await db.writing.foldWordJournal!();
    const rows = await db.writing.documentContributions(project, 'chapter');
    return Object.fromEntries(rows.map((r) => [r.userId, r.wordsNet]));
  };

  function setup(project: string) {
    const clock = createManualClock(Date.now());
    const writers = createClientWriters({ store: db.documentClients, logger });
    const appender = { append: async (r: UpdateRecord) => (await db.documents.appendUpdates([r]))[0]! };
    const relayed = createRelayedWords({ ranges: db.wordRanges, writers, appender, clock, logger, intervalMs: 3_600_000 });
    const edit = (from: number, to: number, net: number): DocumentEdit => ({
      projectId: project,
      documentId: 'chapter',
      documentName: `${project}/chapter`,
      origin: 'redis',
      userId: null,
      at: clock.now(),
      blocks: [],
      clientIds: [7],
      words: { insertedChars: net * 5, deletedChars: 0, wordsAdded: net, wordsRemoved: 0, netWords: net, paragraphsTouched: [], byClient: new Map([[7, { added: net, removed: 0, net }]]) },
      netWords: net,
      documentWords: net,
      insertedRanges: [{ client: 7, from, to }],
    });
    return { clock, relayed, edit };
  }

  it('journals the words of a relayed update no instance logged, once, credited by client id', async () => {
    const project = uniqueName('rw');
    const doc = `${project}/chapter`;
    // alice's client id 7 was claimed on the origin instance (after this one loaded its map).
    const { clock, relayed, edit } = setup(project);
    await db.documentClients.record([{ documentName: doc, clientId: 7, userId: 'alice', seenAt: clock.now() }]);
    relayed.onEdit(edit(0, 10, 3));
    await relayed.reconcile();
    expect(await net(project)).toEqual({}); // within the grace period: the origin may still commit
    clock.advance(3_000);
    await relayed.reconcile();
    expect(await net(project)).toEqual({ alice: 3 });
    // The origin was only slow: its row commits (and is acknowledged), its words are not journaled again.
    const append = (from: number, to: number, n: number) => db.documents.appendUpdates([{ documentName: doc, update: new Uint8Array([0, 0]), userId: 'alice', receivedAt: clock.now(), words: { added: n, removed: 0, net: n }, wordRanges: [{ client: 7, from, to }] }]);
    expect(await append(0, 10, 3)).toHaveLength(1);
    expect(await net(project)).toEqual({ alice: 3 });
    // alice re-sends it merged with a later keystroke (to a restarted instance): only the later words count.
    expect(await append(0, 14, 4)).toHaveLength(1);
    expect(await net(project)).toEqual({ alice: 4 });
    // And the later keystroke relayed alone, checked afterwards: covered, nothing more.
    relayed.onEdit(edit(10, 14, 1));
    clock.advance(3_000);
    await relayed.reconcile();
    expect(await net(project)).toEqual({ alice: 4 });
    relayed.close();
  });

  it('leaves the words of a relayed update its origin logged to the origin', async () => {
    const project = uniqueName('rw');
    const doc = `${project}/chapter`;
    const { clock, relayed, edit } = setup(project);
    await db.documentClients.record([{ documentName: doc, clientId: 7, userId: 'alice', seenAt: clock.now() }]);
    await db.documents.appendUpdates([{ documentName: doc, update: new Uint8Array([0, 0]), userId: 'alice', receivedAt: clock.now(), words: { added: 5, removed: 0, net: 5 }, wordRanges: [{ client: 7, from: 0, to: 20 }] }]);
    relayed.onEdit(edit(0, 20, 5));
    clock.advance(3_000);
    await relayed.reconcile();
    expect(await net(project)).toEqual({ alice: 5 });
    relayed.close();
  });
});
