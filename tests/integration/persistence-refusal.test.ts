import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROSE, connectWriter, paragraphs, readParagraphs, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A storage that refuses writes, for real: Postgres triggers raise SQLSTATE 53100 (disk_full) on
 * the update log and, separately, on snapshots, switched from this test with plain SQL. What the
 * writer, `/readyz` and `/metrics` see while appends fail, and the persistence extension's
 * `undurable` guard: a document whose applied update failed to log refuses every sync (the
 * sender's reconnect included) until a snapshot stores it whole.
 */
const run = serviceAvailable('postgres');

interface Readiness {
  http: number;
  status: string;
  persistence: { status: string; since?: string; lastError?: string; undurableDocuments: number; pendingAppends: number };
}

async function readyz(server: TestServer): Promise<Readiness> {
  const res = await fetch(`${server.httpUrl}/readyz`);
  const body = (await res.json()) as Omit<Readiness, 'http'>;
  return { http: res.status, ...body };
}

describe.runIf(run)('storage refusing writes (Postgres triggers, SQLSTATE 53100)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  let sql: postgres.Sql;
  const writers: FaultWriter[] = [];
  /** 'off', 'log' (update log inserts fail) or 'all' (snapshots too). */
  const refuse = (mode: 'off' | 'log' | 'all') => sql`UPDATE fault_switch SET mode = ${mode}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      CREATE TABLE fault_switch (mode text NOT NULL);
      INSERT INTO fault_switch VALUES ('off');
      CREATE FUNCTION fault_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE m text;
      BEGIN
        SELECT mode INTO m FROM fault_switch;
        IF m = 'all' OR (m = 'log' AND TG_TABLE_NAME = 'document_updates') THEN
          RAISE EXCEPTION 'injected: could not extend file' USING ERRCODE = '53100';
        END IF;
        RETURN COALESCE(NEW, OLD);
      END $$;
      CREATE TRIGGER fault_refuse_log BEFORE INSERT ON document_updates FOR EACH ROW EXECUTE FUNCTION fault_refuse();
      CREATE TRIGGER fault_refuse_snapshot BEFORE INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION fault_refuse();
    `);
  }, 60_000);

  afterAll(async () => {
    writers.forEach((w) => w.destroy());
    await refuse('off').catch(() => {});
    await server?.cleanup();
    await sql?.end();
    await db?.drop();
  }, 60_000);

  it('closes the writer with 4503 storage-unavailable, reports not ready, refuses syncs until stored whole, then recovers', async () => {
    const doc = `book/${uniqueName('refusal')}`;
    const writer = connectWriter(server.wsUrl, doc, await writerToken('refusal-writer'), 'refusal-writer', 0);
    writers.push(writer);
    await vi.waitFor(() => expect(writer.provider.isSynced).toBe(true), { timeout: 20_000 });
    writer.typeOne();
    await vi.waitFor(() => expect(writer.acked()).toBe(1), { timeout: 10_000 });
    const before = await readyz(server);
    expect(before).toMatchObject({ http: 200, status: 'ok', persistence: { status: 'ok', undurableDocuments: 0 } });
    expect((await scrapeMetrics(server.httpUrl)).get('storyloom_persistence_failing')).toBe(0);

    // Appends and snapshots fail: the writer's next character is applied, not logged.
    await refuse('all');
    writer.typeOne();
    await vi.waitFor(() => expect(writer.closes).toContainEqual({ code: 4503, reason: 'storage-unavailable' }), { timeout: 10_000 });
    const failing = await readyz(server);
    expect(failing.http).toBe(503);
    expect(failing.status).toBe('fail');
    expect(failing.persistence).toMatchObject({ status: 'failing', lastError: 'SQLSTATE 53100', undurableDocuments: 1 });
    expect(Date.parse(failing.persistence.since!)).toBeGreaterThan(0);
    const metrics = await scrapeMetrics(server.httpUrl);
    expect(metrics.get('storyloom_persistence_failing')).toBe(1);
    expect(metrics.get('storyloom_persistence_undurable_documents')).toBe(1);

    // The guard: the writer keeps reconnecting with its unacknowledged character, and every
    // sync is refused the same way while no snapshot holds the document (nothing counts it acked).
    const closesAtFailure = writer.closes.length;
    await vi.waitFor(() => expect(writer.closes.length).toBeGreaterThanOrEqual(closesAtFailure + 2), { timeout: 15_000 });
    expect(writer.closes.slice(closesAtFailure).every((c) => c.code === 4503 && c.reason === 'storage-unavailable')).toBe(true);
    expect(writer.acked()).toBe(1);
    expect(writer.provider.unsyncedChanges).toBeGreaterThan(0);
    expect(server.server.collaboration.persistence.status(doc)).toMatchObject({ retrying: true });

    // Snapshots work again, the log still refuses: the retry stores the document whole, which
    // lifts the guard, and the writer's reconnect then finds its change on the server (held by
    // the snapshot, so durable): acknowledged without a log row.
    await refuse('log');
    await vi.waitFor(() => expect(writer.acked()).toBe(2), { timeout: 15_000, interval: 50 });
    expect(await readParagraphs(server.wsUrl, doc)).toEqual([PROSE.slice(0, 2)]);
    // Still not ready: the log refuses the empty update the retry appends to find out.
    expect(await readyz(server)).toMatchObject({ http: 503, persistence: { status: 'failing', undurableDocuments: 0 } });

    // The next character meets the refusing log: closed again.
    const closesBeforeThird = writer.closes.length;
    writer.typeOne();
    await vi.waitFor(() => expect(writer.closes.length).toBeGreaterThan(closesBeforeThird), { timeout: 10_000 });
    expect(writer.closes[closesBeforeThird]).toEqual({ code: 4503, reason: 'storage-unavailable' });
    expect(await readyz(server)).toMatchObject({ http: 503, persistence: { status: 'failing', lastError: 'SQLSTATE 53100' } });

    // Storage fully back: the retry stores it and its empty update lands, readiness returns, the
    // third character is acknowledged.
    await refuse('off');
    await vi.waitFor(async () => expect(await readyz(server)).toMatchObject({ http: 200, status: 'ok', persistence: { status: 'ok', undurableDocuments: 0 } }), {
      timeout: 15_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(writer.acked()).toBe(3), { timeout: 15_000, interval: 50 });
    const after = await scrapeMetrics(server.httpUrl);
    expect(after.get('storyloom_persistence_failing')).toBe(0);
    expect(after.get('storyloom_persistence_undurable_documents')).toBe(0);
    expect(await readParagraphs(server.wsUrl, doc)).toEqual([PROSE.slice(0, 3)]);
    expect(paragraphs(writer.ydoc)).toEqual([PROSE.slice(0, 3)]);
  }, 90_000);
});
