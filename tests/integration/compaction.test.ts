import postgres from 'postgres';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';
import { connectClient, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

const FAST = { COMPACT_AFTER_UPDATES: '20', SNAPSHOT_DEBOUNCE_MS: '50', SNAPSHOT_MAX_DEBOUNCE_MS: '200' };

describe('compaction folds the update log into the snapshot', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.cleanup();
  });

  it('folds while writers type, empties the log when the last one leaves, and loses nothing', async () => {
    const t = await startTestServer(FAST);
    servers.push(t);
    const doc = `book/${uniqueName('compact')}`;
    const writer = connectClient(t.wsUrl, doc, await t.token('w', { book: 'editor' }));
    await writer.synced;
    const sentence = 'Anne Elliot walked the Cobb at Lyme. ';
    for (const ch of sentence.repeat(2)) typeInto(writer.ydoc, ch);
    await vi.waitFor(() => expect(writer.provider.unsyncedChanges).toBe(0));
    // 74 log rows were written; compaction kicks in past 20 and folds them while the writer is on.
    await vi.waitFor(async () => expect(await t.server.database.documents.countUpdates(doc)).toBeLessThan(20));
    writer.destroy();
    await vi.waitFor(async () => expect(await t.server.database.documents.countUpdates(doc)).toBe(0));
    const stored = await t.server.database.documents.load(doc);
    expect(stored.snapshot).not.toBeNull();

    const reader = connectClient(t.wsUrl, doc, await t.token('r', { book: 'reader' }));
    await reader.synced;
    expect(textOf(reader.ydoc)).toBe(sentence.repeat(2));
    reader.destroy();
  });

  describe.skipIf(!serviceAvailable('postgres'))('on Postgres', () => {
    it('retries a failed snapshot with backoff and keeps the document until it lands', async () => {
      const pg = await createTestDatabase();
      const t = await startTestServer({ ...FAST, DATABASE_URL: pg.url });
      servers.push(t);
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      try {
        // A real failure inside the database: every snapshot write is refused for now.
        await sql.unsafe(`
          create function refuse_snapshot() returns trigger language plpgsql as
            $$ begin raise exception 'snapshot refused for the test'; end $$;
          create trigger refuse_snapshot before update on documents for each row execute function refuse_snapshot();`);
        const doc = `book/${uniqueName('retry')}`;
        const writer = connectClient(t.wsUrl, doc, await t.token('w', { book: 'editor' }));
        await writer.synced;
        for (const ch of 'Captain Wentworth wrote a letter. ') typeInto(writer.ydoc, ch);
        await vi.waitFor(() => expect(writer.provider.unsyncedChanges).toBe(0));
        writer.destroy();
        // The last writer left, the snapshot failed: the document stays loaded, the log keeps everything.
        await vi.waitFor(() => expect(t.server.collaboration.persistence.status(doc)?.retrying).toBe(true));
        expect(t.server.collaboration.hocuspocus.documents.has(doc)).toBe(true);
        expect(await t.server.database.documents.countUpdates(doc)).toBeGreaterThan(0);

        await sql.unsafe('drop trigger refuse_snapshot on documents; drop function refuse_snapshot();');
        await vi.waitFor(async () => expect(await t.server.database.documents.countUpdates(doc)).toBe(0), { timeout: 15_000 });
        await vi.waitFor(() => expect(t.server.collaboration.hocuspocus.documents.has(doc)).toBe(false), { timeout: 15_000 });
      } finally {
        await sql.end();
        await t.close();
        await pg.drop();
      }
    });
  });
});
