import { expect, it } from 'vitest';
import type { ClientSighting, DocumentClientStore } from '../../src/db/document-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { createClientWriters, type ClientWriterClaim } from '../../src/services/writing/client-writers.js';
import { onEveryDatabase, type OpenDatabase } from '../helpers/databases.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Issue 12: a writer's first update claims its Yjs client ids durably before it is applied. The
 * claims of a connect burst (every writer's first keystroke at once, many documents) share one
 * insert that returns the stored owners, instead of an insert and a map reload per writer.
 * Real PGlite and Postgres; the store is counted, not replaced.
 */
const logger = createLogger({ level: 'silent' });
const at = 1_700_000_000_000;

/** The real store, with its claim() batches recorded. */
function counted(store: DocumentClientStore) {
  const batches: ClientSighting[][] = [];
  return {
    batches,
    store: {
      load: (name: string) => store.load(name),
      claim: (sightings: readonly ClientSighting[]): Promise<ClientWriterClaim[]> => {
        batches.push([...sightings]);
        return store.claim(sightings);
      },
    },
  };
}

onEveryDatabase((name: string, open: OpenDatabase) => {
  it(`${name}: claims made at once in many documents share one insert, each durable when it resolves`, async () => {
    const { db, cleanup } = await open();
    try {
      const { batches, store } = counted(db.documentClients);
      const writers = createClientWriters({ store, logger });
      const docs = Array.from({ length: 10 }, () => `${uniqueName('p')}/${uniqueName('d')}`);
      for (const doc of docs) await writers.load(doc);
      const durableAtResolve: boolean[] = [];
      await Promise.all(
        docs.flatMap((doc) =>
          [1, 2, 3].map(async (client) => {
            await writers.claim(doc, [client, client + 100], `user-${client}`, at);
            const stored = await db.documentClients.load(doc);
            durableAtResolve.push(stored.get(client) === `user-${client}` && stored.get(client + 100) === `user-${client}`);
          }),
        ),
      );
      expect(batches).toHaveLength(1);
      expect(batches[0]).toHaveLength(60);
      expect(durableAtResolve).toEqual(Array(30).fill(true));
      expect(writers.writerOf(docs[0]!, 2)).toBe('user-2');
      // Known ids claim nothing more.
      await writers.claim(docs[0]!, [1, 2, 3], 'mallory', at);
      expect(batches).toHaveLength(1);
      expect(writers.writerOf(docs[0]!, 1)).toBe('user-1');
    } finally {
      await cleanup();
    }
  });

  it(`${name}: claims made while an insert is in flight go in the next one; a later update carrying a claimed id waits for its claim`, async () => {
    const { db, cleanup } = await open();
    try {
      const { batches, store } = counted(db.documentClients);
      const writers = createClientWriters({ store, logger });
      const doc = `${uniqueName('p')}/${uniqueName('d')}`;
      await writers.load(doc);
      const settled: string[] = [];
      const first = writers.claim(doc, [1], 'alice', at).then(() => settled.push('alice 1'));
      await new Promise((resolve) => setImmediate(resolve)); // the first insert is now in flight
      expect(batches).toHaveLength(1);
      // Bob's update re-sends alice's keystroke (id 1): not acknowledged before her claim is stored.
      const resent = writers.claim(doc, [1], 'bob', at).then(() => settled.push('bob resending 1'));
      const second = writers.claim(doc, [2], 'bob', at);
      const third = writers.claim(doc, [3], 'carol', at);
      await Promise.all([first, resent, second, third]);
      expect(settled).toEqual(['alice 1', 'bob resending 1']);
      expect(writers.writerOf(doc, 1)).toBe('alice');
      expect(batches.map((b) => b.map((s) => s.clientId))).toEqual([[1], [2, 3]]);
      expect(await db.documentClients.load(doc)).toEqual(new Map([[1, 'alice'], [2, 'bob'], [3, 'carol']]));
    } finally {
      await cleanup();
    }
  });

  it(`${name}: two instances claiming one id agree on the first, stored, claim`, async () => {
    const { db, cleanup } = await open();
    try {
      const doc = `${uniqueName('p')}/${uniqueName('d')}`;
      const here = createClientWriters({ store: db.documentClients, logger });
      const there = createClientWriters({ store: db.documentClients, logger });
      await Promise.all([here.load(doc), there.load(doc)]);
      await here.claim(doc, [9], 'alice', at);
      await there.claim(doc, [9], 'bob', at + 1); // there loaded before alice's claim: it learns hers
      expect(here.writerOf(doc, 9)).toBe('alice');
      expect(there.writerOf(doc, 9)).toBe('alice');
      expect(await db.documentClients.load(doc)).toEqual(new Map([[9, 'alice']]));
    } finally {
      await cleanup();
    }
  });

  it(`${name}: a claim the database refuses resolves and keeps the in-memory claim`, async () => {
    const { db, cleanup } = await open();
    const doc = `${uniqueName('p')}/${uniqueName('d')}`;
    const writers = createClientWriters({ store: db.documentClients, logger });
    await writers.load(doc);
    await cleanup(); // the database is gone
    await writers.claim(doc, [5], 'alice', at);
    expect(writers.writerOf(doc, 5)).toBe('alice');
  });
});
