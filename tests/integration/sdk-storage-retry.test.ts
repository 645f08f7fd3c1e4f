import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type StoryloomClient, type StoryloomError } from '../../client-sdk/src/index.js';
import { readParagraphs } from '../helpers/fault-writers.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';

/**
 * The SDK against a server whose storage fails for real (a Postgres database of its own): a
 * document the server cannot load is refused `service-unavailable`, and the SDK retries it with
 * backoff instead of giving up; a change the log refuses closes the socket 4503
 * `storage-unavailable`, and the provider reconnects and re-sends it once storage is back.
 */
const run = serviceAvailable('postgres');

describe.runIf(run)('SDK: storage unavailable is retried', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let t: TestServer;
  let sql: postgres.Sql;
  const clients: StoryloomClient[] = [];
  const errors: StoryloomError[] = [];
  // Project `book`: the one readParagraphs' reader token names.
  const name = `book/${uniqueName('retry').replace(/_/g, '-')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestServer({ DATABASE_URL: db.url });
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      CREATE TABLE fault_switch (on_log boolean NOT NULL);
      INSERT INTO fault_switch VALUES (false);
      CREATE FUNCTION fault_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT on_log FROM fault_switch) THEN RAISE EXCEPTION 'injected' USING ERRCODE = '53100'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fault_refuse_log BEFORE INSERT ON document_updates FOR EACH ROW EXECUTE FUNCTION fault_refuse();
    `);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
    await sql?.end();
    await db?.drop();
  }, 60_000);

  it('keeps a refused document and syncs it once the store answers; re-sends a change the log refused', async () => {
    const client = createClient({
      url: t.httpUrl,
      getToken: () => t.token('retry-user', { book: 'editor' }),
      onError: (e) => errors.push(e),
      backoff: { initialMs: 200, maxMs: 400 },
    });
    clients.push(client);

    // The store cannot load documents: the table is gone (renamed away).
    await sql`ALTER TABLE documents RENAME TO documents_away`;
    const doc = client.document(name);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 10_000 });
    expect(errors[0]).toMatchObject({ code: 'service-unavailable', details: { document: name } });
    // Refused again and again meanwhile (retried with backoff), reported once.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(errors).toHaveLength(1);
    typeInto(doc.ydoc, 'Written while the server could not load it.');

    await sql`ALTER TABLE documents_away RENAME TO documents`;
    await doc.synced;
    await vi.waitFor(async () => expect(await readParagraphs(t.wsUrl, name)).toEqual(['Written while the server could not load it.']), {
      timeout: 15_000,
      interval: 200,
    });

    // The log refuses the next change: the socket is closed 4503, the provider reconnects (and
    // is refused while the change is not stored), then re-sends it once the log takes writes.
    await sql`UPDATE fault_switch SET on_log = true`;
    typeInto(doc.ydoc, ' And during a log outage.');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await sql`UPDATE fault_switch SET on_log = false`;
    await vi.waitFor(async () => expect(await readParagraphs(t.wsUrl, name)).toEqual([textOf(doc.ydoc)]), { timeout: 20_000, interval: 200 });
    expect(textOf(doc.ydoc)).toBe('Written while the server could not load it. And during a log outage.');
    expect(errors.map((e) => e.code)).toEqual(['service-unavailable']);
  }, 90_000);
});
