import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PROSE, startFaultServer, connectWriter, paragraphs, readParagraphs, report, seedParagraphs, startTyping, writerToken, type FaultWriter } from '../helpers/fault-writers.js';
import { readiness } from '../helpers/metrics-scrape.js';
import { startPrivatePostgres } from '../helpers/private-postgres.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { uniqueName } from '../helpers/services.js';

/**
 * Postgres taken away for 30 s (a private cluster, stopped with SIGQUIT: no checkpoint, crash
 * recovery on restart) while 4 writers type on one document. Durable acknowledgement waits for
 * the update log commit, so acks stop while the database is down; what the test pins down:
 * nothing acknowledged is lost, the unacknowledged edits land once Postgres is back (writers
 * re-send them), and the writers converge. Whether edits still reach the other writers during
 * the outage is measured and printed (the append failure closes the sender's socket).
 */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 30_000);
const WRITERS = 4;
const TYPE_EVERY_MS = 100;

describe('Postgres stopped for 30 s under 4 writers', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });
  const stopServer = async (s: ServerProcess) => {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  };

  it('loses nothing acknowledged and lands every unacknowledged edit after Postgres returns', async () => {
    const pg = await startPrivatePostgres();
    cleanups.push(() => pg.destroy());
    const dataDir = await mkdtemp(join(tmpdir(), 'storyloom-fault-pg-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = { DATABASE_URL: pg.url, DATA_DIR: dataDir };
    const server = await startFaultServer(env);
    cleanups.push(() => stopServer(server));
    const doc = `book/${uniqueName('pg-outage')}`;
    await seedParagraphs(server.wsUrl, doc, WRITERS);
    const token = await writerToken('pg-writer');
    const writers: FaultWriter[] = [];
    for (let i = 0; i < WRITERS; i++) writers.push(connectWriter(server.wsUrl, doc, token, `w${i}`, i));
    cleanups.push(async () => writers.forEach((w) => w.destroy()));
    await vi.waitFor(() => expect(writers.every((w) => w.provider.isSynced)).toBe(true), { timeout: 20_000 });
    const typing = startTyping(writers, TYPE_EVERY_MS);
    await vi.waitFor(() => expect(Math.min(...writers.map((w) => w.acked()))).toBeGreaterThanOrEqual(10), { timeout: 30_000 });

    // --- the outage ---------------------------------------------------------------------------
    const ackedAtStop = writers.map((w) => w.acked());
    const closesBefore = writers.reduce((n, w) => n + w.closes.length, 0);
    await pg.stop();
    const stoppedAt = Date.now();
    const readySeen = new Set<string>();
    /** What /readyz said about storing edits during the outage: `failing/<last error class>`. */
    const persistenceSeen = new Set<string>();
    // Does an edit typed during the outage reach another writer? Sampled every second: the
    // neighbour's view of writer 0's paragraph against what writer 0 had typed a second before.
    let deliveredSamples = 0;
    let samples = 0;
    let previousTyped = writers[0]!.typed();
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      const ready = readiness(server.httpUrl).catch(() => ({ http: 0, status: 'unreachable', persistence: undefined }));
      await delay(1_000);
      const r = await ready;
      readySeen.add(`${r.http}:${r.status}`);
      if (r.persistence) persistenceSeen.add(r.persistence.status === 'ok' ? 'ok' : `failing/${r.persistence.lastError ?? '?'}`);
      samples++;
      if ((paragraphs(writers[1]!.ydoc)[0] ?? '').length >= previousTyped) deliveredSamples++;
      previousTyped = writers[0]!.typed();
    }
    const ackedDuringOutage = writers.reduce((n, w, i) => n + Math.max(0, w.acked() - ackedAtStop[i]!), 0);
    const closesDuringOutage = writers.reduce((n, w) => n + w.closes.length, 0) - closesBefore;
    const reasons = [...new Set(writers.flatMap((w) => w.closes.slice(0).map((c) => `${c.code}:${c.reason || '-'}`)))];
    const outageCloses = writers.flatMap((w) => w.closes);
    const typedAtReturn = writers.reduce((n, w) => n + w.typed(), 0);
    const ackedAtReturn = writers.reduce((n, w) => n + w.acked(), 0);

    // --- recovery -----------------------------------------------------------------------------
    await pg.start();
    const backAt = Date.now();
    await vi.waitFor(async () => expect((await readiness(server.httpUrl)).status).toBe('ok'), { timeout: 30_000, interval: 200 });
    const readyAfterMs = Date.now() - backAt;
    // Everything typed before Postgres came back acknowledged (the writers re-sent it).
    const typedAtBack = writers.map((w) => w.typed());
    await vi.waitFor(() => writers.forEach((w, i) => expect(w.acked()).toBeGreaterThanOrEqual(typedAtBack[i]!)), { timeout: 60_000, interval: 100 });
    const ackedAgainAfterMs = Date.now() - backAt;
    typing.stop();
    const expected = writers.map((w) => PROSE.slice(0, w.typed()));
    await vi.waitFor(() => {
      for (const w of writers) {
        expect(w.provider.unsyncedChanges).toBe(0);
        expect(paragraphs(w.ydoc)).toEqual(expected);
      }
    }, { timeout: 60_000, interval: 100 });
    const convergedAfterMs = Date.now() - backAt;

    // Restart the server: the database alone must hold every edit (the writers are gone).
    writers.forEach((w) => w.destroy());
    await stopServer(server);
    const second = await startFaultServer(env);
    cleanups.push(() => stopServer(second));
    const texts = await readParagraphs(second.wsUrl, doc);
    let lost = 0;
    expected.forEach((want, i) => {
      let same = 0;
      while (same < want.length && texts[i]?.[same] === want[same]) same++;
      lost += want.length - same;
    });
    const logErrors = server.lines.filter((l) => l.includes('update log append failed')).length;
    // What the server said at warn and above, by message: the outage as an operator sees it.
    const said = new Map<string, number>();
    for (const line of server.lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) >= 40) said.set(entry.msg ?? '?', (said.get(entry.msg ?? '?') ?? 0) + 1);
      } catch {
        // not JSON
      }
    }
    report('postgres-outage', {
      writers: WRITERS,
      outageMs: OUTAGE_MS,
      editsSent: expected.reduce((n, t) => n + t.length, 0),
      ackedBeforeStop: ackedAtStop.reduce((a, b) => a + b, 0),
      ackedDuringOutage,
      typedAtReturn,
      ackedAtReturn,
      socketClosesDuringOutage: closesDuringOutage,
      closeReasons: JSON.stringify(reasons),
      deliveredToNeighbourSamples: `${deliveredSamples}/${samples}`,
      appendFailuresLogged: logErrors,
      readyzDuringOutage: [...readySeen].join(','),
      persistenceDuringOutage: [...persistenceSeen].join(','),
      readyAfterMs,
      allAckedAfterMs: ackedAgainAfterMs,
      convergedAfterMs,
      recoveredAfterRestart: texts.reduce((n, t) => n + t.length, 0),
      lost,
    });
    report('postgres-outage/log', Object.fromEntries([...said].map(([msg, n]) => [JSON.stringify(msg), n])));
    expect(lost).toBe(0);
    expect([...readySeen].every((s) => s !== '200:ok')).toBe(true);
    // A writer whose change could not be stored is told so: 4503 storage-unavailable (it was
    // 4205 "Reset Connection" after the document had been closed silently), and readiness
    // names the storage failure by class, never by its text.
    expect(outageCloses).toContainEqual({ code: 4503, reason: 'storage-unavailable' });
    expect(outageCloses.filter((c) => c.code === 4205)).toEqual([]);
    expect([...persistenceSeen].some((s) => s.startsWith('failing/'))).toBe(true);
  });
});
