import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type StoryloomClient, type StoryloomError } from '../../client-sdk/src/index.js';
import { connectWriter, paragraphs, readParagraphs, seedParagraphs, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, serviceAvailable, uniqueName } from '../helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { TEST_SECRET, startTestServer, textOf, typeInto, type TestServer } from '../helpers/test-server.js';
import { signToken } from '../../src/auth/tokens.js';

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
    await installFaultSwitch(sql);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.cleanup();
    await sql?.end();
    await db?.drop();
  }, 60_000);

  it('keeps a refused document and syncs it once the store answers; holds a change the log refused and stores it later', async () => {
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

    // The log refuses the next change: it is applied and held (not acknowledged), retried by the
    // server, and stored once the log takes writes again.
    await sql`UPDATE fault_switch SET on_log = true`;
    typeInto(doc.ydoc, ' And during a log outage.');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await sql`UPDATE fault_switch SET on_log = false`;
    await vi.waitFor(async () => expect(await readParagraphs(t.wsUrl, name)).toEqual([textOf(doc.ydoc)]), { timeout: 20_000, interval: 200 });
    expect(textOf(doc.ydoc)).toBe('Written while the server could not load it. And during a log outage.');
    expect(errors.map((e) => e.code)).toEqual(['service-unavailable']);
  }, 90_000);
});

/**
 * The process dies while the store refuses writes: the edits it applied and delivered but never
 * acknowledged are still in the writers (the SDK's document and a stock HocuspocusProvider),
 * which re-send them to the restarted server. A server process of its own (so it can be
 * SIGKILLed) behind a TCP proxy (so the writers keep one URL).
 */
describe.runIf(run)('kill -9 while the update log refuses writes', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: postgres.Sql;
  let proxy: TcpProxy;
  const servers: ServerProcess[] = [];
  const clients: StoryloomClient[] = [];
  const writers: FaultWriter[] = [];

  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    writers.forEach((w) => w.destroy());
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await proxy?.close();
    await sql?.end();
    await db?.drop();
  }, 60_000);

  it('loses nothing: the SDK and the provider re-send what was held, the restarted server stores it', async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url };
    servers.push(await startServerProcess(env, { startTimeoutMs: 90_000 }));
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await installFaultSwitch(sql);
    proxy = await startTcpProxy(servers[0]!.port);
    const httpUrl = `http://127.0.0.1:${proxy.port}`;
    const wsUrl = `ws://127.0.0.1:${proxy.port}/collaboration`;
    const name = `book/${uniqueName('kill-held').replace(/_/g, '-')}`;
    await seedParagraphs(wsUrl, name, 2);
    const client = createClient({
      url: httpUrl,
      getToken: () => signToken(TEST_SECRET, { userId: 'sdk-writer', name: 'sdk-writer', projects: { book: 'editor' }, expiresInSeconds: 3600 }),
      backoff: { initialMs: 200, maxMs: 400 },
    });
    clients.push(client);
    const doc = client.document(name);
    const provider = connectWriter(wsUrl, name, await writerToken('provider-writer'), 'provider-writer', 1);
    writers.push(provider);
    await doc.synced;
    await vi.waitFor(() => expect(provider.provider.isSynced).toBe(true), { timeout: 20_000 });
    typeInto(doc.ydoc, 'Stored. ', 0);
    provider.typeOne();
    await vi.waitFor(() => expect([doc.provider.unsyncedChanges, provider.provider.unsyncedChanges]).toEqual([0, 0]), { timeout: 10_000 });

    // The log refuses: both keep typing; each sees the other's edit, neither is acknowledged.
    await sql`UPDATE fault_switch SET on_log = true`;
    typeInto(doc.ydoc, 'Held by the SDK.', 0);
    for (let i = 0; i < 5; i++) provider.typeOne();
    await vi.waitFor(() => {
      expect(paragraphs(provider.ydoc)[0]).toBe('Stored. Held by the SDK.');
      expect(paragraphs(doc.ydoc)[1]).toBe(paragraphs(provider.ydoc)[1]);
    }, { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(doc.provider.unsyncedChanges).toBeGreaterThan(0);
    expect(provider.provider.unsyncedChanges).toBeGreaterThan(0);

    // The process dies with those edits applied, delivered and never stored.
    servers[0]!.child.kill('SIGKILL');
    await servers[0]!.exited;
    proxy.setTarget(null);
    await sql`UPDATE fault_switch SET on_log = false`;
    const second = await startServerProcess(env, { startTimeoutMs: 90_000 });
    servers.push(second);
    // What the restarted server has alone: the acknowledged part only.
    expect(await readParagraphs(second.wsUrl, name)).toEqual(['Stored. ', paragraphs(provider.ydoc)[1]!.slice(0, 1)]);
    proxy.setTarget(second.port);
    const want = ['Stored. Held by the SDK.', paragraphs(provider.ydoc)[1]!];
    expect(want[1]).toHaveLength(6);
    await vi.waitFor(() => expect([doc.provider.unsyncedChanges, provider.provider.unsyncedChanges]).toEqual([0, 0]), { timeout: 30_000, interval: 100 });
    await vi.waitFor(async () => expect(await readParagraphs(second.wsUrl, name)).toEqual(want), { timeout: 15_000, interval: 200 });
    expect(paragraphs(doc.ydoc)).toEqual(want);
    expect(paragraphs(provider.ydoc)).toEqual(want);
  }, 240_000);
});

/** A switch in the database that makes every insert into the update log fail while it is on. */
async function installFaultSwitch(sql: postgres.Sql): Promise<void> {
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
}
