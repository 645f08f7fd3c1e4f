import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import type { Database, DocumentStore, UpdateRecord } from '../../src/db/document-store.js';
import { createGroupCommit } from '../../src/db/group-commit.js';
import { isAppError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { uniqueName } from '../helpers/services.js';

const logger = createLogger({ level: 'silent' });

/** The real store, counting the batches it is asked to write. */
function countingStore(store: DocumentStore): DocumentStore & { batches: number[] } {
  const batches: number[] = [];
  return {
    ...store,
    batches,
    appendUpdates(records) {
      batches.push(records.length);
      return store.appendUpdates(records);
    },
  };
}

const docName = (): string => `${uniqueName('p')}/${uniqueName('d')}`;
const record = (documentName: string, n: number, userId: string | null = 'writer'): UpdateRecord => ({
  documentName,
  update: Uint8Array.of(n % 256, 1, 2, 3),
  userId,
  receivedAt: 1_700_000_000_000 + n,
});

describe('group commit on PGlite', () => {
  let dataDir = '';
  let db: Database;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'storyloom-group-commit-'));
    db = await createDatabase({ dataDir, logger });
  });
  afterAll(async () => {
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('commits 1,000 concurrent appends across 10 documents in far fewer writes', async () => {
    const store = countingStore(db.documents);
    const commit = createGroupCommit({ store, maxBatch: 64, maxDelayMs: 2, logger });
    const names = Array.from({ length: 10 }, docName);
    const started = performance.now();
    const appended = Array.from({ length: 1_000 }, (_, i) => {
      const documentName = names[i % 10]!;
      return commit.append(record(documentName, i)).then((seq) => ({ documentName, i, seq }));
    });
    expect(commit.pending()).toBe(1_000);
    const results = await Promise.all(appended);
    console.log(
      `[group-commit] 1,000 appends in ${(performance.now() - started).toFixed(0)} ms, ${store.batches.length} writes`,
    );

    expect(new Set(results.map((r) => r.seq)).size).toBe(1_000);
    expect(commit.pending()).toBe(0);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(64);
    expect(store.batches.length).toBeLessThan(100);

    for (const documentName of names) {
      const loaded = await db.documents.load(documentName);
      const expected = results.filter((r) => r.documentName === documentName);
      expect(loaded.updates.map((u) => u.seq)).toEqual(expected.map((r) => r.seq));
      expect(loaded.updates.map((u) => u.receivedAt)).toEqual(expected.map((r) => 1_700_000_000_000 + r.i));
    }
    await commit.close();
  });

  it('rejects exactly the failing batch and keeps working afterwards', async () => {
    const store = countingStore(db.documents);
    // A long delay: batches are cut by size alone, so their boundaries are known.
    const commit = createGroupCommit({ store, maxBatch: 4, maxDelayMs: 60_000, logger });
    const doc = docName();
    const first = [0, 1, 2, 3].map((n) => commit.append(record(doc, n)));
    // NUL is not valid in Postgres text: this whole second batch fails in the database.
    const second = [4, 5, 6, 7].map((n) => commit.append(record(doc, n, n === 6 ? 'bad\u0000user' : 'writer')));
    const third = [8, 9, 10, 11].map((n) => commit.append(record(doc, n)));

    const outcomes = await Promise.allSettled([...first, ...second, ...third]);
    expect(outcomes.map((o) => o.status)).toEqual([
      ...Array(4).fill('fulfilled'),
      ...Array(4).fill('rejected'),
      ...Array(4).fill('fulfilled'),
    ]);
    expect(store.batches).toEqual([4, 4, 4]);
    const loaded = await db.documents.load(doc);
    expect(loaded.updates.map((u) => u.receivedAt - 1_700_000_000_000)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);

    const late = commit.append(record(doc, 12));
    await commit.flush();
    expect(await late).toBeGreaterThan(0);
    expect(await db.documents.countUpdates(doc)).toBe(9);
    await commit.close();
  });

  it('writes a lone append after maxDelayMs, and on the next tick with maxDelayMs 0', async () => {
    for (const maxDelayMs of [0, 20]) {
      const store = countingStore(db.documents);
      const commit = createGroupCommit({ store, maxBatch: 100, maxDelayMs, logger });
      const doc = docName();
      const seqs = await Promise.all([commit.append(record(doc, 1)), commit.append(record(doc, 2))]);
      expect(seqs[1]).toBeGreaterThan(seqs[0]!);
      expect(store.batches).toEqual([2]);
      await commit.close();
    }
  });

  it('flush writes everything appended so far without waiting for the delay', async () => {
    const store = countingStore(db.documents);
    const commit = createGroupCommit({ store, maxBatch: 1_000, maxDelayMs: 60_000, logger });
    const doc = docName();
    const appended = [1, 2, 3, 4, 5].map((n) => commit.append(record(doc, n)));
    expect(commit.pending()).toBe(5);
    expect(store.batches).toEqual([]);

    await commit.flush();
    expect(commit.pending()).toBe(0);
    expect(await db.documents.countUpdates(doc)).toBe(5);
    expect(new Set(await Promise.all(appended)).size).toBe(5);
    await commit.flush();

    // Appends made while a flush's batch is in flight are covered by a second flush.
    const a = commit.append(record(doc, 6));
    const firstFlush = commit.flush();
    const b = commit.append(record(doc, 7));
    await Promise.all([firstFlush, commit.flush()]);
    expect(commit.pending()).toBe(0);
    await Promise.all([a, b]);
    expect(await db.documents.countUpdates(doc)).toBe(7);
    await commit.close();
  });

  it('flush rejects when a batch it waits for failed', async () => {
    const commit = createGroupCommit({ store: db.documents, maxBatch: 10, maxDelayMs: 60_000, logger });
    const doc = docName();
    const failing = commit.append(record(doc, 1, 'bad\u0000user'));
    failing.catch(() => {});
    await expect(commit.flush()).rejects.toThrow(/0x00|invalid byte sequence/i);
    await expect(failing).rejects.toThrow();
    // A later flush is about later appends only.
    const ok = commit.append(record(doc, 2));
    await commit.flush();
    expect(await ok).toBeGreaterThan(0);
    await commit.close();
  });

  it('close flushes pending appends, then refuses new ones', async () => {
    const commit = createGroupCommit({ store: db.documents, maxBatch: 1_000, maxDelayMs: 60_000, logger });
    const doc = docName();
    const appended = [1, 2, 3].map((n) => commit.append(record(doc, n)));
    const closed = commit.close();
    const refused = commit.append(record(doc, 4));
    await expect(refused).rejects.toSatisfy((error: unknown) => isAppError(error) && /closed/.test(error.message));
    await closed;
    expect(await Promise.all(appended)).toHaveLength(3);
    expect(await db.documents.countUpdates(doc)).toBe(3);
    await commit.close();
    expect(commit.pending()).toBe(0);
  });

  it('rejects nonsensical options', () => {
    expect(() => createGroupCommit({ store: db.documents, maxBatch: 0, maxDelayMs: 1, logger })).toThrow(RangeError);
    expect(() => createGroupCommit({ store: db.documents, maxBatch: 1, maxDelayMs: -1, logger })).toThrow(RangeError);
  });
});
