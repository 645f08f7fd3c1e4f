import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Database, DocumentStore, UpdateRecord } from '../../src/db/document-store.js';
import { uniqueName } from '../helpers/services.js';

/** What a contract run needs: a database on storage that outlives `cleanup()` (for reopen). */
export interface OpenedDatabase {
  db: Database;
  /** Closes this handle; the storage itself stays so the next `open()` sees the same data. */
  cleanup(): Promise<void>;
}

/**
 * The DocumentStore contract, run once per backend. `open` must return a database on the same
 * storage every time it is called; the suite holds one handle at a time and reopens it to prove
 * durability across close/open.
 */
export function documentStoreContract(name: string, open: () => Promise<OpenedDatabase>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let handle: OpenedDatabase | undefined;
    const store = (): DocumentStore => {
      if (!handle) throw new Error('database not open');
      return handle.db.documents;
    };
    const docName = (): string => `${uniqueName('p')}/${uniqueName('d')}`;
    const record = (documentName: string, update: Uint8Array, userId: string | null = 'u1', receivedAt = 1_700_000_000_123): UpdateRecord => ({
      documentName,
      update,
      userId,
      receivedAt,
    });

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    it('loads a new document as empty', async () => {
      const doc = docName();
      expect(await store().load(doc)).toEqual({ snapshot: null, updates: [] });
      expect(await store().countUpdates(doc)).toBe(0);
      expect(await store().appendUpdates([])).toEqual([]);
    });

    it('returns increasing seqs and loads updates in order with author and time', async () => {
      const doc = docName();
      const first = await store().appendUpdates([
        record(doc, Uint8Array.of(1), 'alice', 1_700_000_000_001),
        record(doc, Uint8Array.of(2), null, 1_700_000_000_002),
        record(doc, Uint8Array.of(3), 'bob', 1_700_000_000_003),
      ]);
      const second = await store().appendUpdates([record(doc, Uint8Array.of(4), 'alice', 1_700_000_000_004)]);
      const seqs = [...first, ...second];
      expect(seqs).toHaveLength(4);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);

      const loaded = await store().load(doc);
      expect(loaded.snapshot).toBeNull();
      expect(loaded.updates).toEqual([
        { seq: seqs[0], update: Uint8Array.of(1), userId: 'alice', receivedAt: 1_700_000_000_001 },
        { seq: seqs[1], update: Uint8Array.of(2), userId: null, receivedAt: 1_700_000_000_002 },
        { seq: seqs[2], update: Uint8Array.of(3), userId: 'bob', receivedAt: 1_700_000_000_003 },
        { seq: seqs[3], update: Uint8Array.of(4), userId: 'alice', receivedAt: 1_700_000_000_004 },
      ]);
    });

    it('reproduces a Yjs document from snapshot plus remaining log', async () => {
      const doc = docName();
      const source = new Y.Doc();
      const captured: Uint8Array[] = [];
      source.on('update', (update: Uint8Array) => captured.push(update));
      const body = source.getXmlFragment('default');
      const title = source.getText('title');
      for (let i = 0; i < 12; i++) {
        source.transact(() => {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.insert(0, [new Y.XmlText(`Paragraph ${i}: it was a dark and stormy night.`)]);
          body.insert(body.length, [paragraph]);
          title.insert(title.length, `${i}`);
        });
      }
      source.transact(() => body.delete(3, 2));
      expect(captured).toHaveLength(13);
      const seqs = await store().appendUpdates(captured.map((u) => record(doc, u)));

      const logOnly = replay(await store().load(doc));
      expect(logOnly.getXmlFragment('default').toString()).toBe(body.toString());
      expect(logOnly.getText('title').toString()).toBe(title.toString());

      // Compact the first 7 updates into a snapshot; the other 6 stay in the log.
      const partial = new Y.Doc();
      for (const u of captured.slice(0, 7)) Y.applyUpdate(partial, u);
      await store().storeSnapshot(doc, Y.encodeStateAsUpdate(partial), seqs.slice(0, 7));

      const stored = await store().load(doc);
      expect(stored.snapshot).not.toBeNull();
      expect(stored.updates.map((u) => u.seq)).toEqual(seqs.slice(7));
      const rebuilt = replay(stored);
      expect(rebuilt.getXmlFragment('default').toString()).toBe(body.toString());
      expect(rebuilt.getText('title').toString()).toBe(title.toString());
      expect(Y.encodeStateVector(rebuilt)).toEqual(Y.encodeStateVector(source));
    });

    it('folds only the named seqs into a snapshot', async () => {
      const doc = docName();
      const seqs = await store().appendUpdates([1, 2, 3, 4, 5].map((n) => record(doc, Uint8Array.of(n))));
      const first = textSnapshot('It is a truth');
      await store().storeSnapshot(doc, first, [seqs[0]!, seqs[2]!]);
      const loaded = await store().load(doc);
      expect(loaded.snapshot).toEqual(first);
      expect(loaded.updates.map((u) => u.seq)).toEqual([seqs[1], seqs[3], seqs[4]]);
      expect(await store().countUpdates(doc)).toBe(3);

      // Folding nothing is allowed.
      await store().storeSnapshot(doc, first, []);
      expect(await store().countUpdates(doc)).toBe(3);
    });

    it('merges a new snapshot with the stored one, so another instance never loses updates', async () => {
      const doc = docName();
      // Two instances, each holding edits the other has not seen yet.
      const a = new Y.Doc();
      a.getText('t').insert(0, 'Elizabeth ');
      const b = new Y.Doc();
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
      a.getText('t').insert(10, 'laughed. ');
      b.getText('t').insert(0, 'Darcy frowned. ');
      await store().storeSnapshot(doc, Y.encodeStateAsUpdate(a), []);
      await store().storeSnapshot(doc, Y.encodeStateAsUpdate(b), []);
      const merged = replay(await store().load(doc));
      expect(merged.getText('t').toString()).toBe('Darcy frowned. Elizabeth laughed. ');
    });

    it('round-trips every byte value and a 1 MB update and snapshot unchanged', async () => {
      const doc = docName();
      const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = new Uint8Array(randomBytes(1024 * 1024));
      await store().appendUpdates([record(doc, everyByte), record(doc, big)]);
      await store().storeSnapshot(doc, big, []);
      const loaded = await store().load(doc);
      expect(loaded.updates).toHaveLength(2);
      const [small, large] = loaded.updates;
      expect(small!.update).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(small!.update)).toBe(false);
      expect(small!.update).toEqual(everyByte);
      expect(Buffer.compare(large!.update, big)).toBe(0);
      expect(loaded.snapshot).toBeInstanceOf(Uint8Array);
      expect(Buffer.compare(loaded.snapshot!, big)).toBe(0);
    });

    it('appends a batch atomically: one failing row leaves none of the batch', async () => {
      const a = docName();
      const b = docName();
      // Postgres text cannot hold NUL, so the last row fails inside the database, after the
      // documents upsert and the other rows were already sent in the same transaction.
      const poisoned = [record(a, Uint8Array.of(1)), record(b, Uint8Array.of(2)), record(a, Uint8Array.of(3), 'bad\u0000user')];
      await expect(store().appendUpdates(poisoned)).rejects.toThrow(/0x00|invalid byte sequence/i);
      expect(await store().load(a)).toEqual({ snapshot: null, updates: [] });
      expect(await store().load(b)).toEqual({ snapshot: null, updates: [] });

      // Large enough to span several INSERT statements: the failure in the last one must undo
      // the earlier ones.
      const many = Array.from({ length: 12_000 }, (_, i) => record(a, Uint8Array.of(i % 256)));
      many[many.length - 1] = record(a, Uint8Array.of(0), 'bad\u0000user');
      await expect(store().appendUpdates(many)).rejects.toThrow();
      expect(await store().countUpdates(a)).toBe(0);

      await expect(store().appendUpdates([record(a, Uint8Array.of(1)), record('no-slash', Uint8Array.of(2))])).rejects.toThrow(
        /projectId/,
      );
      expect(await store().countUpdates(a)).toBe(0);

      // The store is still usable after the rolled-back transactions.
      const [seq] = await store().appendUpdates([record(a, Uint8Array.of(42))]);
      expect((await store().load(a)).updates).toEqual([expect.objectContaining({ seq, update: Uint8Array.of(42) })]);
    });

    it('keeps documents apart', async () => {
      const names = Array.from({ length: 5 }, docName);
      const interleaved = Array.from({ length: 25 }, (_, i) => record(names[i % 5]!, Uint8Array.of(i)));
      const seqs = await store().appendUpdates(interleaved);
      for (const [d, n] of names.entries()) {
        const loaded = await store().load(n);
        expect(loaded.updates.map((u) => Array.from(u.update))).toEqual([0, 1, 2, 3, 4].map((k) => [k * 5 + d]));
        expect(loaded.updates.map((u) => u.seq)).toEqual([0, 1, 2, 3, 4].map((k) => seqs[k * 5 + d]));
      }
      // Folding seqs that belong to another document must not delete that document's rows.
      const seqsOfSecond = (await store().load(names[1]!)).updates.map((u) => u.seq);
      await store().storeSnapshot(names[0]!, Uint8Array.of(1), seqsOfSecond);
      expect(await store().countUpdates(names[1]!)).toBe(5);
      expect(await store().countUpdates(names[0]!)).toBe(5);
    });

    it('accepts concurrent appends to the same new document', async () => {
      const doc = docName();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store().appendUpdates([record(doc, Uint8Array.of(i)), record(doc, Uint8Array.of(i))])),
      );
      const seqs = results.flat();
      expect(new Set(seqs).size).toBe(40);
      expect(await store().countUpdates(doc)).toBe(40);
    });

    it('counts only unfolded log rows', async () => {
      const doc = docName();
      const seqs = await store().appendUpdates([1, 2, 3, 4].map((n) => record(doc, Uint8Array.of(n))));
      expect(await store().countUpdates(doc)).toBe(4);
      await store().storeSnapshot(doc, Uint8Array.of(0), seqs.slice(0, 3));
      expect(await store().countUpdates(doc)).toBe(1);
    });

    it('deletes a document with its snapshot and log, and nothing else', async () => {
      const doc = docName();
      const other = docName();
      const seqs = await store().appendUpdates([record(doc, Uint8Array.of(1)), record(doc, Uint8Array.of(2)), record(other, Uint8Array.of(3))]);
      await store().storeSnapshot(doc, Uint8Array.of(5), seqs.slice(0, 1));
      await store().deleteDocument(doc);
      expect(await store().load(doc)).toEqual({ snapshot: null, updates: [] });
      expect(await store().countUpdates(doc)).toBe(0);
      expect(await store().countUpdates(other)).toBe(1);
      await store().deleteDocument(docName());
    });

    it('keeps everything across close and reopen', async () => {
      const doc = docName();
      const seqs = await store().appendUpdates([1, 2, 3].map((n) => record(doc, Uint8Array.of(n), `user-${n}`)));
      await store().storeSnapshot(doc, Uint8Array.of(8, 8, 8), seqs.slice(0, 1));
      const before = await store().load(doc);

      await handle!.cleanup();
      handle = undefined;
      handle = await open();
      await handle.db.ping();

      expect(await store().load(doc)).toEqual(before);
      const [next] = await store().appendUpdates([record(doc, Uint8Array.of(4))]);
      expect(next).toBeGreaterThan(seqs[2]!);
    });
  });
}

/** A real Yjs document state: snapshots are Yjs updates, merged on store. */
function textSnapshot(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

function replay(stored: { snapshot: Uint8Array | null; updates: { update: Uint8Array }[] }): Y.Doc {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u.update);
  return doc;
}
