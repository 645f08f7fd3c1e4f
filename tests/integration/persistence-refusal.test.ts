import postgres from 'postgres';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROSE, connectWriter, paragraphs, readParagraphs, seedParagraphs, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A storage that refuses writes, for real: Postgres triggers raise SQLSTATE 53100 (disk_full) on
 * the update log and on snapshots, switched from this test with plain SQL. While appends fail,
 * the document stays live (edits reach the other writer at once), acknowledgements are held,
 * `/readyz` and `/metrics` show what waits, and everything commits (and is acknowledged) once the
 * store takes writes again. Past the bound on what may wait, a change is refused with 4503 and
 * its writer keeps it: nothing is lost either way.
 */
const run = serviceAvailable('postgres');

interface Readiness {
  http: number;
  status: string;
  persistence: { status: string; since?: string; lastError?: string; undurableDocuments: number; pendingAppends: number; pendingBytes: number };
}

async function readyz(server: TestServer): Promise<Readiness> {
  const res = await fetch(`${server.httpUrl}/readyz`);
  const body = (await res.json()) as Omit<Readiness, 'http'>;
  return { http: res.status, ...body };
}

/** A database whose update log (`log`) or whole document store (`all`) refuses writes on demand. */
async function refusingDatabase() {
  const db = await createTestDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  return { db, sql, refuse: (mode: 'off' | 'log' | 'all') => sql`UPDATE fault_switch SET mode = ${mode}` };
}

async function installTriggers(sql: postgres.Sql): Promise<void> {
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
}

describe.runIf(run)('storage refusing writes (Postgres triggers, SQLSTATE 53100)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const writers: FaultWriter[] = [];
  afterAll(async () => {
    writers.forEach((w) => w.destroy());
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }, 60_000);

  async function setup(env: Record<string, string> = {}) {
    const { db, sql, refuse } = await refusingDatabase();
    const server = await startTestServer({ DATABASE_URL: db.url, ...env });
    cleanups.push(() => db.drop(), () => sql.end(), async () => refuse('off'), () => server.cleanup());
    await installTriggers(sql);
    const doc = `book/${uniqueName('refusal')}`;
    await seedParagraphs(server.wsUrl, doc, 2);
    const a = connectWriter(server.wsUrl, doc, await writerToken('refusal-a'), 'refusal-a', 0);
    const b = connectWriter(server.wsUrl, doc, await writerToken('refusal-b'), 'refusal-b', 1);
    writers.push(a, b);
    await vi.waitFor(() => expect(a.provider.isSynced && b.provider.isSynced).toBe(true), { timeout: 20_000 });
    return { server, refuse, doc, a, b };
  }

  it('keeps the document live while the store refuses writes, holds the acks, and commits everything when it returns', async () => {
    const { server, refuse, doc, a, b } = await setup();
    a.typeOne();
    await vi.waitFor(() => expect(a.acked()).toBe(1), { timeout: 10_000 });
    expect(await readyz(server)).toMatchObject({ http: 200, status: 'ok', persistence: { status: 'ok', undurableDocuments: 0, pendingAppends: 0 } });
    expect((await scrapeMetrics(server.httpUrl)).get('storyloom_persistence_failing')).toBe(0);

    // Appends and snapshots fail: both writers' next characters still reach each other at once.
    await refuse('all');
    for (let i = 0; i < 3; i++) {
      a.typeOne();
      b.typeOne();
    }
    await vi.waitFor(() => {
      expect(paragraphs(b.ydoc)[0]).toBe(PROSE.slice(0, 4));
      expect(paragraphs(a.ydoc)[1]).toBe(PROSE.slice(0, 3));
    }, { timeout: 10_000 });
    // ... but nobody is acknowledged, and nobody is disconnected.
    await vi.waitFor(async () => expect((await readyz(server)).persistence.status).toBe('failing'), { timeout: 10_000 });
    const failing = await readyz(server);
    expect(failing.http).toBe(503);
    expect(failing.status).toBe('fail');
    expect(failing.persistence).toMatchObject({ status: 'failing', lastError: 'SQLSTATE 53100', undurableDocuments: 1, pendingAppends: 6 });
    expect(failing.persistence.pendingBytes).toBeGreaterThan(0);
    expect(Date.parse(failing.persistence.since!)).toBeGreaterThan(0);
    const metrics = await scrapeMetrics(server.httpUrl);
    expect(metrics.get('storyloom_persistence_failing')).toBe(1);
    expect(metrics.get('storyloom_persistence_undurable_documents')).toBe(1);
    expect(metrics.get('storyloom_persistence_pending_updates')).toBe(6);
    expect(server.server.collaboration.persistence.status(doc)).toMatchObject({ retrying: true, unstored: 6 });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // several retry rounds
    expect(a.acked()).toBe(1);
    expect(b.acked()).toBe(0);
    expect(a.provider.unsyncedChanges).toBe(3);
    expect(a.closes).toEqual([]);
    expect(b.closes).toEqual([]);

    // Snapshots work again, the log does not: a snapshot is no acknowledgement (it may hold the
    // changes, but an ack promises a log row), so the acks stay held.
    await refuse('log');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect([a.acked(), b.acked()]).toEqual([1, 0]);
    // The log is back: the held rows commit in order, the acks go out.
    await refuse('off');
    await vi.waitFor(() => expect([a.acked(), b.acked(), a.provider.unsyncedChanges, b.provider.unsyncedChanges]).toEqual([4, 3, 0, 0]), { timeout: 15_000, interval: 50 });
    await vi.waitFor(async () => expect(await readyz(server)).toMatchObject({ http: 200, status: 'ok', persistence: { status: 'ok', undurableDocuments: 0, pendingAppends: 0 } }), {
      timeout: 15_000,
      interval: 100,
    });
    const after = await scrapeMetrics(server.httpUrl);
    expect(after.get('storyloom_persistence_failing')).toBe(0);
    expect(after.get('storyloom_persistence_pending_updates')).toBe(0);
    // In the database, whatever the server does next.
    const rows = await server.server.database.documents.load(doc);
    expect(rows.updates.length + (rows.snapshot ? 1 : 0)).toBeGreaterThan(0);
    expect(await readParagraphs(server.wsUrl, doc)).toEqual([PROSE.slice(0, 4), PROSE.slice(0, 3)]);
    expect(a.closes).toEqual([]);
  }, 90_000);

  it('refuses a change past the bound with 4503 storage-unavailable, and still loses nothing', async () => {
    const { server, refuse, doc, a, b } = await setup({ PENDING_LOG_MAX_UPDATES_PER_DOCUMENT: '5' });
    await refuse('log');
    for (let i = 0; i < 5; i++) a.typeOne();
    await vi.waitFor(() => expect(paragraphs(b.ydoc)[0]).toBe(PROSE.slice(0, 5)), { timeout: 10_000 });
    expect(a.closes).toEqual([]);
    // The sixth would pass the bound: refused before it is applied, the socket closed 4503.
    a.typeOne();
    await vi.waitFor(() => expect(a.closes).toContainEqual({ code: 4503, reason: 'storage-unavailable' }), { timeout: 10_000 });
    expect(paragraphs(b.ydoc)[0]).toBe(PROSE.slice(0, 5));
    expect(server.server.collaboration.persistence.status(doc)).toMatchObject({ unstored: 5 });
    // Reconnects with the refused change are refused the same way while the bound is full.
    const closes = a.closes.length;
    await vi.waitFor(() => expect(a.closes.length).toBeGreaterThanOrEqual(closes + 2), { timeout: 15_000 });
    expect(a.closes.every((c) => c.code === 4503 && c.reason === 'storage-unavailable')).toBe(true);
    a.typeOne(); // typed offline

    await refuse('off');
    await vi.waitFor(() => expect([a.provider.unsyncedChanges, paragraphs(b.ydoc)[0]]).toEqual([0, PROSE.slice(0, 7)]), { timeout: 20_000, interval: 50 });
    expect(await readParagraphs(server.wsUrl, doc)).toEqual([PROSE.slice(0, 7), '']);
    expect(server.server.collaboration.persistence.status(doc)).toMatchObject({ unstored: 0 });
  }, 90_000);
});
